/**
 * The "?" on a canvas node: the editor layer cannot import the components that draw help
 * (components/help), so the canvas hands one in (EditorOptions.nodeHelp) and each node's Vue
 * app provides it under this key; NodeView draws it with the node's type.
 */
import type { Component, InjectionKey } from 'vue';

/** A component taking the node type as its `type` prop (a help button for that type). */
export const NODE_HELP_KEY: InjectionKey<Component | null> = Symbol('vae-lab:node-help');
