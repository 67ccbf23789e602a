const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');
const fs = require('fs');
(async () => {
  await tf.setBackend('cpu');
  const model = await nsfwjs.load('MobileNetV2', {size: 224});
  for (const [n, w, h] of [['scene-1024x768.jpg', 1024, 768], ['scene-640x480-alpha.png', 640, 480]]) {
    const data = new Int32Array(fs.readFileSync('/tmp/img22/' + n + '.rgb'));
    const img = tf.tensor3d(data, [h, w, 3], 'int32');
    const logits = model.infer(img);
    console.log(n, JSON.stringify(Array.from(await logits.data())));
  }
})();
