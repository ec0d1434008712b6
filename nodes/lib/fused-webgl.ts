/**
 * The fused kernels of nodes/lib/fused.ts for tfjs-backend-webgl: each a GPGPU program run by
 * MathBackendWebGL.runWebGLProgram, so a step dispatches fewer programs and compiles fewer
 * shaders (on a GPU both, not the arithmetic, set the step's time and the first step's).
 *
 * What they replace (the standard preset on webgl, bench/webgl-step.mjs):
 * - Adam: 12 stock kernels a variable, plus six constants uploaded as textures each step (a
 *   packed binary op does not take a scalar as a uniform); here three packed element-wise
 *   programs (m', v', θ': a WebGL program has one output, so θ' recomputes m' and v'), the
 *   constants as uniforms. Shapes are uniforms too (enableShapeUniforms): one compiled program
 *   serves every variable of a rank.
 * - Bernoulli BCE's row sums and their gradient, and a dense layer's bias gradient Σ_B du:
 *   one program each.
 * They compute the same functions as the wasm kernels (the clamps at −100, the 1e-12 floor).
 */
import type * as tf from '@tensorflow/tfjs';

/** The part of MathBackendWebGL the kernels use. */
interface WebGLBackend {
  runWebGLProgram(program: Program, inputs: tf.TensorInfo[], outputDtype: 'float32', customUniformValues?: number[][]): tf.TensorInfo;
}

interface Program {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms?: boolean;
  packedInputs?: boolean;
  packedOutput?: boolean;
  customUniforms?: Array<{ name: string; type: 'float' }>;
}

type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, number | string>;

const ADAM_UNIFORMS = ['b1', 'c1', 'b2', 'c2', 'stepSize', 'eps'].map((name) => ({ name, type: 'float' as const }));

// The moments as the stock ops compute them, four values at a time (packed textures).
const M_NEW = 'vec4 g = getGradAtOutCoords(); vec4 m1 = b1 * getMAtOutCoords() + c1 * g;';
const V_NEW = 'vec4 v1 = b2 * getVAtOutCoords() + c2 * (g * g);';

/** One output of Adam's update: 'm' (m'), 'v' (v') or 'param' (θ'). */
class VaeLabAdamProgram implements Program {
  variableNames = ['param', 'grad', 'm', 'v'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  packedInputs = true;
  packedOutput = true;
  customUniforms = ADAM_UNIFORMS;

  constructor(shape: number[], out: 'param' | 'm' | 'v') {
    this.outputShape = shape;
    const body =
      out === 'm' ? `${M_NEW} setOutput(m1);`
      : out === 'v' ? `vec4 g = getGradAtOutCoords(); ${V_NEW} setOutput(v1);`
      : `${M_NEW} ${V_NEW} setOutput(getParamAtOutCoords() + (m1 / (sqrt(v1) + eps)) * stepSize);`;
    this.userCode = `void main() { ${body} }`;
  }
}

/** Rows of −Σ_j [x log p + (1 − x) log(1 − p)], each log clamped at −100. */
class VaeLabBceRowsProgram implements Program {
  variableNames = ['x', 'logP', 'log1mP'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;

  constructor(rows: number, cols: number) {
    this.outputShape = [rows];
    this.userCode = `void main() {
      int r = getOutputCoords();
      float s = 0.0;
      for (int j = 0; j < ${cols}; j++) {
        float xi = getX(r, j);
        s += xi * max(getLogP(r, j), -100.0) + (1.0 - xi) * max(getLog1mP(r, j), -100.0);
      }
      setOutput(-s);
    }`;
  }
}

/** dy_r · (p − x) / max(p(1 − p), 1e-12). */
class VaeLabBceGradProgram implements Program {
  variableNames = ['p', 'x', 'dy'];
  outputShape: number[];
  userCode = `void main() {
    ivec2 c = getOutputCoords();
    float p = getP(c.x, c.y);
    setOutput(getDy(c.x) * (p - getX(c.x, c.y)) / max(p * (1.0 - p), 1e-12));
  }`;
  enableShapeUniforms = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
  }
}

/** Σ over axis 0 of x [rows, cols]. */
class VaeLabColSumProgram implements Program {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;

  constructor(rows: number, cols: number) {
    this.outputShape = [cols];
    this.userCode = `void main() {
      int j = getOutputCoords();
      float s = 0.0;
      for (int r = 0; r < ${rows}; r++) s += getX(r, j);
      setOutput(s);
    }`;
  }
}

type Kernel = (inputs: Inputs, attrs: Attrs, backend: WebGLBackend) => tf.TensorInfo | tf.TensorInfo[];

/** The kernels by role; nodes/lib/fused.ts registers them under its KERNELS names for 'webgl'. */
export const WEBGL_KERNELS: Record<'adam' | 'bceRows' | 'bceGrad' | 'colSum', Kernel> = {
  adam: ({ param, grad, m, v }, attrs, backend) => {
    const b1 = attrs.beta1 as number;
    const b2 = attrs.beta2 as number;
    const uniforms = [[b1], [1 - b1], [b2], [1 - b2], [attrs.stepSize as number], [attrs.epsilon as number]];
    const inputs = [param!, grad!, m!, v!];
    const shape = param!.shape;
    return (['param', 'm', 'v'] as const).map((out) => backend.runWebGLProgram(new VaeLabAdamProgram(shape, out), inputs, 'float32', uniforms));
  },
  bceRows: ({ x, logP, log1mP }, _attrs, backend) => {
    const [rows, cols] = x!.shape as [number, number];
    return backend.runWebGLProgram(new VaeLabBceRowsProgram(rows, cols), [x!, logP!, log1mP!], 'float32');
  },
  bceGrad: ({ p, x, dy }, _attrs, backend) => backend.runWebGLProgram(new VaeLabBceGradProgram(p!.shape), [p!, x!, dy!], 'float32'),
  colSum: ({ x }, _attrs, backend) => {
    const [rows, cols] = x!.shape as [number, number];
    return backend.runWebGLProgram(new VaeLabColSumProgram(rows, cols), [x!], 'float32');
  },
};
