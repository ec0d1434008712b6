import { rnnLayerNode, rnnParams } from './lib/rnn-node';

export const params = rnnParams;

export default rnnLayerNode('lstm');
