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
 * - The reparameterization and the closed-form KL: two programs each way (z and σ; dμ and
 *   dlog σ²) instead of ~25 small kernels and their uploaded constants.
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

/** Packed element-wise: the reparameterization and its gradient (`out` names the expression, vec4 at a time). */
class VaeLabLatentProgram implements Program {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  packedInputs = true;
  packedOutput = true;

  constructor(shape: number[], variableNames: string[], out: string) {
    this.variableNames = variableNames;
    this.outputShape = shape;
    this.userCode = `void main() { setOutput(${out}); }`;
  }
}

const REPARAM = {
  // std = exp(½ log σ²), z = μ + ε ⊙ std
  std: 'exp(getLogvarAtOutCoords() * 0.5)',
  z: 'getMuAtOutCoords() + getEpsAtOutCoords() * exp(getLogvarAtOutCoords() * 0.5)',
  // dμ = dz, dlog σ² = ½ dz ⊙ ε ⊙ std
  dmu: 'getDzAtOutCoords()',
  dlv: 'getDzAtOutCoords() * getEpsAtOutCoords() * getStdAtOutCoords() * 0.5',
};

/** Rows of −½ Σ_j (1 + log σ² − μ² − σ²) · scale. */
class VaeLabKlRowsProgram implements Program {
  variableNames = ['mu', 'logvar'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = [{ name: 'scale', type: 'float' as const }];

  constructor(rows: number, cols: number) {
    this.outputShape = [rows];
    this.userCode = `void main() {
      int r = getOutputCoords();
      float s = 0.0;
      for (int j = 0; j < ${cols}; j++) {
        float m = getMu(r, j);
        float l = getLogvar(r, j);
        s += 1.0 + l - m * m - exp(l);
      }
      setOutput(-0.5 * s * scale);
    }`;
  }
}

/** The KL's gradient: dμ = dy_r·scale·μ, or dlog σ² = −½ dy_r·scale·(1 − σ²). */
class VaeLabKlGradProgram implements Program {
  variableNames = ['dy', 'mu', 'logvar'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = [{ name: 'scale', type: 'float' as const }];

  constructor(shape: number[], out: 'mu' | 'logvar') {
    this.outputShape = shape;
    const expr = out === 'mu' ? 'd * getMu(c.x, c.y)' : '-0.5 * d * (1.0 - exp(getLogvar(c.x, c.y)))';
    this.userCode = `void main() { ivec2 c = getOutputCoords(); float d = getDy(c.x) * scale; setOutput(${expr}); }`;
  }
}

type Kernel = (inputs: Inputs, attrs: Attrs, backend: WebGLBackend) => tf.TensorInfo | tf.TensorInfo[];

/** The kernels by role; nodes/lib/fused.ts registers them under its KERNELS names for 'webgl'. */
export const WEBGL_KERNELS: Record<'adam' | 'bceRows' | 'bceGrad' | 'colSum' | 'reparam' | 'reparamGrad' | 'klRows' | 'klGrad', Kernel> = {
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
  reparam: ({ mu, logvar, eps }, _attrs, backend) => {
    const names = ['mu', 'logvar', 'eps'];
    return [REPARAM.z, REPARAM.std].map((out) => backend.runWebGLProgram(new VaeLabLatentProgram(mu!.shape, names, out), [mu!, logvar!, eps!], 'float32'));
  },
  reparamGrad: ({ dz, eps, std }, _attrs, backend) => {
    const names = ['dz', 'eps', 'std'];
    return [REPARAM.dmu, REPARAM.dlv].map((out) => backend.runWebGLProgram(new VaeLabLatentProgram(dz!.shape, names, out), [dz!, eps!, std!], 'float32'));
  },
  klRows: ({ mu, logvar }, attrs, backend) => {
    const [rows, cols] = mu!.shape as [number, number];
    return backend.runWebGLProgram(new VaeLabKlRowsProgram(rows, cols), [mu!, logvar!], 'float32', [[attrs.scale as number]]);
  },
  klGrad: ({ dy, mu, logvar }, attrs, backend) =>
    (['mu', 'logvar'] as const).map((out) => backend.runWebGLProgram(new VaeLabKlGradProgram(mu!.shape, out), [dy!, mu!, logvar!], 'float32', [[attrs.scale as number]])),
};
