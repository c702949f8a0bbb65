// Node: the language, fs, child_process, crypto, timers.
const fs = require('fs'), cp = require('child_process'), crypto = require('crypto');
console.log([3, 1, 2].sort().map(x => x * 2).join(','));
console.log(JSON.stringify({ b: [1, 2.5, null], a: 'é' }));
console.log(crypto.createHash('sha256').update('cyrius'.repeat(1000)).digest('hex'));
let s = 0; for (let i = 0; i < 1e6; i++) s += i; console.log(s);
fs.mkdirSync('/tmp/n/a', { recursive: true });
fs.writeFileSync('/tmp/n/a/f.txt', 'hello node\n');
console.log(fs.readFileSync('/tmp/n/a/f.txt', 'utf8').trim(), fs.statSync('/tmp/n/a/f.txt').size, fs.readdirSync('/tmp/n'));
console.log(cp.execSync('echo from a child; exit 0').toString().trim());
const r = cp.spawnSync('sh', ['-c', 'echo err >&2; exit 3']);
console.log(r.status, r.stderr.toString().trim());
console.log([...'cyrius'].reverse().join(''), 2n ** 64n, Math.max(...[4, 9, 2]));
const t0 = Date.now();
setTimeout(() => {
  console.log('timer', Date.now() - t0 >= 100);
  fs.promises.readFile('/tmp/n/a/f.txt', 'utf8').then(d => {
    console.log('promise', d.length);
    const c = cp.spawn('cat'); let got = '';
    c.stdout.on('data', d => got += d);
    c.on('close', code => { console.log('async child', code, got.trim()); console.log('node done'); });
    c.stdin.end('piped to cat');
  });
}, 100);
