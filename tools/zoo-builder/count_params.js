#!/usr/bin/env node
// Count each zoo entry's parameters from its model's TensorFlow.js weight manifest.
//
// usage: node count_params.js --out FILE.json [--human-dir DIR] [--models m1,m2]
//
// For every model of MODELS in extract.js (default: all of them), reads the
// model.json the checkpoint ships with -- nsfwjs bundles it as a JS module
// (dist/models/<name>/model.min.js, loaded through the package's exported model
// definitions), human-models as models/<file>.json -- and counts
//   num_params = sum over the groups of weightsManifest, sum over each group's
//                weights, of the product of the entry's shape   (a scalar: 1)
// i.e. every stored tensor of the model as shipped, trainable or not (batch-norm
// moving means and variances included), the source classifier head included, and
// not only the layers up to the feature layer: the checkpoint's parameter count
// (hdf5-schemas/zoo-v1.md, `num_params`).  Quantised weights (uint8/uint16 with
// min/scale) count like float ones: one parameter per element of the shape.
// Entries taken from the same network (nsfw_mobilenetv2 and nsfw_mobilenetv2_gap)
// get the same count.
//
// Writes FILE.json = { "<entry>": {"num_params": N, "model": "<MODELS key>",
// "manifest": "<where the manifest is>", "tensors": T}, ... }, entries sorted.
// No tfjs backend is started and no weights are read: the manifest alone.
'use strict';
const fs = require('fs');
const path = require('path');
const { MODELS } = require('./extract.js');

// nsfwjs@4.3.0 exports one definition per model: {name, modelJson: async () => module}
const NSFW_EXPORTS = ['nsfwjs/models/mobilenet_v2', 'nsfwjs/models/mobilenet_v2_mid', 'nsfwjs/models/inception_v3'];

function parseArgs(argv) {
  const a = { humanDir: '/tmp/zoo-builder/human-models/package/models', models: Object.keys(MODELS) };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (v === undefined) throw new Error('missing value of ' + k);
    if (k === '--out') a.out = v;
    else if (k === '--human-dir') a.humanDir = v;
    else if (k === '--models') a.models = v.split(',');
    else throw new Error('unknown option ' + k);
  }
  if (!a.out) throw new Error('missing --out');
  return a;
}

// The sum over the manifest of the product of each weight's shape, and the tensor count.
function countManifest(modelJson, where) {
  if (!modelJson || !Array.isArray(modelJson.weightsManifest)) throw new Error(`${where}: no weightsManifest`);
  let n = 0, tensors = 0;
  for (const g of modelJson.weightsManifest) {
    for (const w of g.weights) {
      if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new Error(`${where}: weight ${w.name} has shape ${JSON.stringify(w.shape)}`);
      }
      n += w.shape.reduce((p, d) => p * d, 1);
      tensors++;
    }
  }
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${where}: count ${n}`);
  return { n, tensors };
}

async function nsfwManifest(name) {
  for (const sub of NSFW_EXPORTS) {
    const mod = require(sub);
    for (const def of Object.values(mod)) {
      if (def && def.name === name && typeof def.modelJson === 'function') {
        const m = await def.modelJson();
        return { json: m.default || m, where: `nsfwjs model ${name} (${sub})` };
      }
    }
  }
  throw new Error(`nsfwjs model ${name} not found in ${NSFW_EXPORTS.join(', ')}`);
}

async function main() {
  const a = parseArgs(process.argv);
  const out = {};
  for (const mname of a.models) {
    const spec = MODELS[mname];
    if (!spec) throw new Error(`unknown model ${mname}; known: ${Object.keys(MODELS).join(', ')}`);
    let m;
    if (spec.kind === 'nsfwjs') m = await nsfwManifest(spec.name);
    else {
      const file = path.join(a.humanDir, spec.file);
      m = { json: JSON.parse(fs.readFileSync(file, 'utf8')), where: `human-models models/${spec.file}` };
    }
    const { n, tensors } = countManifest(m.json, m.where);
    for (const e of spec.entries) out[e.id] = { num_params: n, model: mname, manifest: m.where, tensors };
    console.log(`${mname}: ${n} parameters in ${tensors} tensors (${m.where})`);
  }
  const sorted = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  fs.writeFileSync(a.out + '.tmp', JSON.stringify(sorted, null, 1) + '\n');
  fs.renameSync(a.out + '.tmp', a.out);
}

main().catch((e) => { console.error('count_params: ' + (e && e.message ? e.message : e)); process.exit(1); });
