#!/usr/bin/env bash
# Runs the command line on every kind of bad input that issue 6 lists (data files, model files,
# options, numbers) and writes docs/bad-inputs.md: the input, the command, the exit status and the
# exact error line the run printed. Nothing in the table is typed by hand.
#
#   scripts/bad-inputs.sh [OUTPUT.md]      (default docs/bad-inputs.md; needs java and python3)
#
# The broken files are made in a temporary folder from a small toy data set and a model the CLI
# trains on it. Every row is also checked: exit status 1 or 2 (not 0, and not 3, an internal error),
# exactly one "prune4j: error:" line and no stack trace (a row that breaks this is marked FAIL and
# the script exits 1); rows that pass --save over an existing file also check that the file is
# byte-for-byte unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUT="$(realpath -m "${1:-$ROOT/docs/bad-inputs.md}")"
CLI="$ROOT/prune4j-cli/target"
JAR=$(ls "$CLI"/prune4j-cli-*.jar 2>/dev/null | grep -v -e sources -e javadoc -e tests | head -n 1 || true)
if [[ -z "$JAR" || ! -d "$CLI/lib" ]]; then
    (cd "$ROOT" && mvn -q -B -DskipTests -Dp4j.skipDocs package) >&2
    JAR=$(ls "$CLI"/prune4j-cli-*.jar | grep -v -e sources -e javadoc -e tests | head -n 1)
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"   # the unwritable-folder row runs as another user
cd "$W"

COMMON=(--no-progress --threads 1)
TRAIN=(--hidden 16,8 --epochs 1 --batch 32)
PRUNE=(--calibration-batches 2 --finetune-epochs 1)

cat >make.py <<'PY'
import gzip, json, os, random, shutil, struct, sys

def idx(dims, data, head=(0, 0, 8)):
    return bytes(head) + bytes([len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + bytes(data)

def toy(n, side, seed):
    rng = random.Random(seed)
    labels = [rng.randrange(4) for _ in range(n)]
    images = [min(255, rng.randrange(40) + (200 if (p // side) // 2 == c and (p % side) // 2 == c else 0))
              for c in labels for p in range(side * side)]
    return images, labels

def dataset(d, side=8, test_side=8):
    os.makedirs(d, exist_ok=True)
    for prefix, n, s in (('train', 300, side), ('t10k', 100, test_side)):
        images, labels = toy(n, s, len(prefix))
        open(f'{d}/{prefix}-images-idx3-ubyte.gz', 'wb').write(gzip.compress(idx([n, s, s], images), mtime=0))
        open(f'{d}/{prefix}-labels-idx1-ubyte.gz', 'wb').write(gzip.compress(idx([n], labels), mtime=0))

def variant(name, raw=None, gz=None, labels=None):
    """d/<name>: the good data set with train-images (raw bytes or gz bytes) or train-labels replaced."""
    d = f'd/{name}'
    shutil.copytree('d/good', d)
    if raw is not None or gz is not None:
        os.remove(f'{d}/train-images-idx3-ubyte.gz')
        if raw is not None:
            open(f'{d}/train-images-idx3-ubyte', 'wb').write(raw)
        else:
            open(f'{d}/train-images-idx3-ubyte.gz', 'wb').write(gz)
    if labels is not None:
        open(f'{d}/train-labels-idx1-ubyte.gz', 'wb').write(gzip.compress(labels, mtime=0))

if sys.argv[1] == 'data':
    dataset('d/good')
    sys.exit(0)
good = gzip.decompress(open('d/good/train-images-idx3-ubyte.gz', 'rb').read())
gz = open('d/good/train-images-idx3-ubyte.gz', 'rb').read()
images, labels = toy(300, 8, 5)
shutil.copytree('d/good', 'd/no-labels'); os.remove('d/no-labels/t10k-labels-idx1-ubyte.gz')
variant('empty', raw=b'')
variant('cut-header', raw=good[:10])
variant('cut-data', raw=good[:1000])
variant('cut-gzip', gz=gz[:len(gz) // 2])
bad = bytearray(gz); bad[len(bad) // 2] ^= 0x5A; bad[len(bad) // 2 + 1] ^= 0x33
variant('corrupt-gzip', gz=bytes(bad))
variant('magic', raw=b'PK\x03\x04' + good[4:])
variant('type', raw=idx([300, 8, 8], images, head=(0, 0, 0x0D)))
variant('dims2', raw=idx([300, 64], images))
variant('dims9', raw=bytes([0, 0, 8, 9]) + good[4:])
variant('count', labels=idx([299], [0] * 299))
variant('overflow', raw=idx([65536, 65536, 1], []))
variant('lying-size', raw=idx([2_000_000_000, 1, 1], images[:100]))
variant('trailing', raw=good + b'\0')
variant('label-range', labels=idx([300], [200] + [0] * 299))
dataset('d/sizes', test_side=7)

# model files, from the model the CLI trained
os.makedirs('m', exist_ok=True)
base = open('base.safetensors', 'rb').read()
n = struct.unpack('<Q', base[:8])[0]
header = json.loads(base[8:8 + n])
data = base[8 + n:]

def model(name, hdr=None, body=None, raw=None):
    if raw is None:
        h = (hdr if isinstance(hdr, (bytes, str)) else json.dumps(hdr if hdr is not None else header, separators=(',', ':')))
        h = h.encode() if isinstance(h, str) else h
        raw = struct.pack('<Q', len(h)) + h + (data if body is None else body)
    open(f'm/{name}.safetensors', 'wb').write(raw)

def edit(f):
    h = json.loads(json.dumps(header))
    f(h)
    return h

def arch(h, f):
    a = json.loads(h['__metadata__']['prune4j.architecture'])
    f(a)
    h['__metadata__']['prune4j.architecture'] = json.dumps(a, separators=(',', ':'))

model('empty', raw=b'')
model('cut8', raw=base[:5])
model('cut-data', raw=base[:-4])
model('header-long', raw=struct.pack('<Q', len(base)) + base[8:])
model('header-huge', raw=struct.pack('<Q', 1 << 62) + base[8:])
model('not-json', hdr='{"fc1.weight": [1, 2,')
model('json-array', hdr='[1,2,3]')
model('outside', hdr=edit(lambda h: h['fc3.bias'].update(data_offsets=[len(data) - 40, len(data) + 4])))
model('overlap', hdr=edit(lambda h: h['fc1.bias'].update(data_offsets=[h['fc1.bias']['data_offsets'][0] - 8,
                                                                         h['fc1.bias']['data_offsets'][1] - 8])))
model('f16', hdr=edit(lambda h: h['fc2.weight'].update(dtype='F16')))
model('shape-bytes', hdr=edit(lambda h: h['fc1.weight'].update(shape=[16, 63])))
model('arch-out', hdr=edit(lambda h: arch(h, lambda a: a['layers'][0].update(out=17))))
model('arch-type', hdr=edit(lambda h: arch(h, lambda a: a['layers'][1].update(type='conv3d'))))
model('no-arch', hdr=edit(lambda h: h['__metadata__'].pop('prune4j.architecture')))
model('extra', hdr=edit(lambda h: h.update({'fc9.weight': {'dtype': 'F32', 'shape': [1], 'data_offsets': [len(data), len(data) + 4]}})),
      body=data + bytes(4))
for name, value in (('nan', float('nan')), ('inf', float('inf'))):
    body = bytearray(data); struct.pack_into('<f', body, header['fc2.weight']['data_offsets'][0] + 4 * 5, value)
    model(name, body=bytes(body))

def mlp(name, sizes, rows=None):
    """A prune4j model with layer sizes [in, h..., out]; rows(i, n_in) gives fc1's rows if set."""
    rng = random.Random(7)
    h, body, layers = {}, b'', []
    for i in range(len(sizes) - 1):
        fin, fout = sizes[i], sizes[i + 1]
        layers.append({'type': 'dense', 'name': f'fc{i + 1}', 'in': fin, 'out': fout, 'relu': i < len(sizes) - 2})
        w = [x for r in range(fout) for x in (rows(r, fin) if rows and i == 0 else [rng.uniform(-.2, .2) for _ in range(fin)])]
        for t, vals, shape in (('weight', w, [fout, fin]), ('bias', [0.0] * fout, [fout])):
            b = struct.pack(f'<{len(vals)}f', *vals)
            h[f'fc{i + 1}.{t}'] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [len(body), len(body) + len(b)]}
            body += b
    h['__metadata__'] = {'format': 'pt', 'prune4j.architecture': json.dumps({'input': sizes[0], 'layers': layers})}
    hb = json.dumps(h).encode()
    open(f'm/{name}.safetensors', 'wb').write(struct.pack('<Q', len(hb)) + hb + body)

mlp('in784', [784, 16, 10])
mlp('out4', [64, 16, 4])
# every fc1 row a cyclic shift of one vector: equal magnitudes, distinguishable rows
vec = [((j * 37) % 11 - 5) / 10 for j in range(64)]
mlp('ties', [64, 16, 10], rows=lambda r, n: vec[r:] + vec[:r])
os.makedirs('ro', exist_ok=True)
PY
python3 make.py data
java -jar "$JAR" train --data d/good "${COMMON[@]}" "${TRAIN[@]}" --epochs 2 --save base.safetensors >/dev/null 2>&1
python3 make.py files
cp base.safetensors keep.safetensors

# ONNX files: the same model as ONNX, broken in every way docs/onnx.md lists; made with Debian's onnx
# package (/usr/bin/python3 -c 'import onnx'); without it the ONNX section is left out
ONNX_PY=/usr/bin/python3
java -jar "$JAR" train --data d/good "${COMMON[@]}" "${TRAIN[@]}" --epochs 1 --save base.onnx >/dev/null 2>&1
cat >make_onnx.py <<'PY'
import os, onnx
from onnx import helper, numpy_helper, TensorProto
import numpy as np
os.makedirs('o', exist_ok=True)
raw = open('base.onnx', 'rb').read()
open('o/truncated.onnx', 'wb').write(raw[:len(raw) // 2])
open('o/idx.onnx', 'wb').write(open('d/good/train-images-idx3-ubyte.gz', 'rb').read())
open('keep.onnx', 'wb').write(raw)
def save(name, m):
    open(f'o/{name}.onnx', 'wb').write(m.SerializeToString())
def edit(f):
    m = onnx.load_from_string(raw); f(m); return m
def init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)
save('unknown-op', edit(lambda m: m.graph.node[1].__setattr__('op_type', 'GridSample')))
save('short-data', edit(lambda m: init(m, 'fc2.weight').__setattr__('raw_data', init(m, 'fc2.weight').raw_data[:-4])))
save('long-data', edit(lambda m: init(m, 'fc2.weight').__setattr__('raw_data', init(m, 'fc2.weight').raw_data + b'\0\0\0\0')))
save('dangling', edit(lambda m: m.graph.node[2].input.__setitem__(0, 'nowhere')))
def cycle(m):
    m.graph.node[0].input[0] = m.graph.node[1].output[0]
save('cycle', edit(cycle))
def nan(m):
    w = numpy_helper.to_array(init(m, 'fc1.weight')).copy(); w[3, 5] = np.nan
    init(m, 'fc1.weight').CopyFrom(numpy_helper.from_array(w, 'fc1.weight'))
save('nan', edit(nan))
def external(m):
    t = init(m, 'fc1.weight'); t.ClearField('raw_data'); t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key='location', value='weights.bin')
save('external', edit(external))
def external_escape(m):
    t = init(m, 'fc1.weight'); t.ClearField('raw_data'); t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key='location', value='../../etc/hostname')
save('external-escape', edit(external_escape))
save('opset7', edit(lambda m: m.opset_import[0].__setattr__('version', 7)))
def two_inputs(m):
    m.graph.input.append(helper.make_tensor_value_info('mask', TensorProto.FLOAT, ['batch', 64]))
save('two-inputs', edit(two_inputs))
def symbolic(m):
    m.graph.input[0].type.tensor_type.shape.dim[1].ClearField('dim_value'); m.graph.input[0].type.tensor_type.shape.dim[1].dim_param = 'F'
save('symbolic', edit(symbolic))
# small convolutional graphs, written from scratch
def conv_model(name, nodes, inits, opset=17, out=4):
    g = helper.make_graph(nodes, 'bad', [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', 1, 8, 8])],
                          [helper.make_tensor_value_info('output', TensorProto.FLOAT, ['N', out])], inits)
    save(name, helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)]))
rng = np.random.default_rng(0)
def w(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
head = [helper.make_node('GlobalAveragePool', ['y'], ['g']), helper.make_node('Flatten', ['g'], ['f']),
        helper.make_node('Gemm', ['f', 'fc.weight'], ['output'], transB=1)]
conv_model('add-channels', [helper.make_node('Conv', ['input', 'a.weight'], ['a']), helper.make_node('Conv', ['input', 'b.weight'], ['b']),
                            helper.make_node('Add', ['a', 'b'], ['y'])] + head, [w('a.weight', 4, 1, 1, 1), w('b.weight', 6, 1, 1, 1), w('fc.weight', 4, 4)])
conv_model('concat-axis', [helper.make_node('Conv', ['input', 'a.weight'], ['a']), helper.make_node('Concat', ['a', 'a'], ['y'], axis=2)] + head,
           [w('a.weight', 2, 1, 1, 1), w('fc.weight', 4, 2)])
conv_model('bn-training', [helper.make_node('Conv', ['input', 'a.weight'], ['a']),
                           helper.make_node('BatchNormalization', ['a', 's', 'b', 'm', 'v'], ['y'], training_mode=1)] + head,
           [w('a.weight', 4, 1, 1, 1), w('s', 4), w('b', 4), w('m', 4), numpy_helper.from_array(np.ones(4, np.float32), 'v'), w('fc.weight', 4, 4)])
conv_model('maxpool-pads', [helper.make_node('Conv', ['input', 'a.weight'], ['a']),
                             helper.make_node('MaxPool', ['a'], ['y'], kernel_shape=[3, 3], pads=[0, 0, 1, 1])] + head,
           [w('a.weight', 4, 1, 1, 1), w('fc.weight', 4, 4)])
conv_model('reflect-pad', [helper.make_node('Pad', ['input', 'p.pads'], ['a'], mode='reflect'), helper.make_node('Conv', ['a', 'a.weight'], ['y'])] + head,
           [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), 'p.pads'), w('a.weight', 4, 1, 3, 3), w('fc.weight', 4, 4)])
conv_model('dilation', [helper.make_node('Conv', ['input', 'a.weight'], ['y'], dilations=[2, 2])] + head, [w('a.weight', 4, 1, 3, 3), w('fc.weight', 4, 4)])
conv_model('int8', [helper.make_node('Conv', ['input', 'a.weight'], ['y'])] + head,
           [numpy_helper.from_array(np.ones((4, 1, 1, 1), np.int8), 'a.weight'), w('fc.weight', 4, 4)])
conv_model('resize', [helper.make_node('Conv', ['input', 'a.weight'], ['a']),
                      helper.make_node('Resize', ['a', '', 'scales'], ['y'], mode='linear')] + head,
           [w('a.weight', 4, 1, 1, 1), numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), 'scales'), w('fc.weight', 4, 4)])
conv_model('softmax-middle', [helper.make_node('Conv', ['input', 'a.weight'], ['a']), helper.make_node('Softmax', ['a'], ['y'], axis=1)] + head,
           [w('a.weight', 4, 1, 1, 1), w('fc.weight', 4, 4)])
def ints(name, *v):
    return numpy_helper.from_array(np.array(v, np.int64), name)
conv_model('channel-shuffle', [helper.make_node('Conv', ['input', 'a.weight'], ['a']),
                               helper.make_node('Reshape', ['a', 's1'], ['r']), helper.make_node('Transpose', ['r'], ['t'], perm=[0, 1, 2, 4, 3]),
                               helper.make_node('Reshape', ['t', 's2'], ['y'])] + head,
           [w('a.weight', 4, 1, 1, 1), ints('s1', 0, 2, 2, 8, 8), ints('s2', 0, 4, 8, 8), w('fc.weight', 4, 4)])
PY
have_onnx=no
if "$ONNX_PY" -c 'import onnx, numpy' 2>/dev/null && [[ -f base.onnx ]]; then
    "$ONNX_PY" make_onnx.py && have_onnx=yes
fi
mkdir -p a-folder.json

status=0
rows=()
esc() { sed -e 's/|/\\|/g' <<<"$1"; }

# case "input" [--as-nobody] [--unchanged FILE] args...
case_() {
    local desc="$1"; shift
    local runner=(java -jar "$JAR") unchanged="" before=""
    while [[ "${1:-}" == --as-nobody || "${1:-}" == --unchanged ]]; do
        if [[ "$1" == --as-nobody ]]; then
            if [[ $(id -u) -eq 0 ]]; then
                # root may write anywhere: run this one as nobody against a folder owned by root
                runner=(setpriv --reuid=65534 --regid=65534 --clear-groups java -jar "$JAR")
                desc="$desc (run as user nobody; the folder is root's, mode 755)"
            else
                chmod 555 ro
            fi
            shift
        else
            unchanged="$2"; before=$(sha256sum "$unchanged" | cut -d' ' -f1); shift 2
        fi
    done
    local rc=0 err
    err=$(timeout 300 "${runner[@]}" "$@" 2>&1 >/dev/null) || rc=$?
    local lines line verdict="" note=""
    lines=$(grep -c '^prune4j: error: ' <<<"$err" || true)
    line=$(grep '^prune4j: error: ' <<<"$err" | tail -1 || true)
    if [[ $rc -ne 1 && $rc -ne 2 || "$lines" -ne 1 ]] || grep -q $'^\tat ' <<<"$err"; then
        verdict=" **FAIL**"
        status=1
        line="${line:-$(tail -1 <<<"$err")}"
    fi
    if [[ -n "$unchanged" ]]; then
        if [[ "$(sha256sum "$unchanged" | cut -d' ' -f1)" == "$before" ]]; then
            note=" ($unchanged unchanged)"
        else
            note=" **($unchanged CHANGED)**"; verdict=" **FAIL**"; status=1
        fi
    fi
    line="${line//$W/<scratch>}"
    rows+=("| $(esc "$desc") | \`$(esc "$*")\` | $rc$verdict | \`$(esc "$line")\`$note |")
}

section() { rows+=("" "### $1" "" "| input | command | exit | error line |" "|---|---|---|---|"); }

section "Data files (\`train ${COMMON[*]} ${TRAIN[*]} --data DIR\`)"
T=(train "${COMMON[@]}" "${TRAIN[@]}")
case_ "data folder missing" "${T[@]}" --data d/nowhere
case_ "one file missing" "${T[@]}" --data d/no-labels
case_ "empty file" "${T[@]}" --data d/empty
case_ "truncated in the header" "${T[@]}" --data d/cut-header
case_ "truncated in the data" "${T[@]}" --data d/cut-data
case_ "gzip cut in half" "${T[@]}" --data d/cut-gzip
case_ "corrupt gzip (two bytes flipped)" "${T[@]}" --data d/corrupt-gzip
case_ "wrong magic (a zip file)" "${T[@]}" --data d/magic
case_ "wrong element type (0x0D, float)" "${T[@]}" --data d/type
case_ "wrong dimension count (images [300, 64])" "${T[@]}" --data d/dims2
case_ "dimension count 9" "${T[@]}" --data d/dims9
case_ "image and label counts disagree (300/299)" "${T[@]}" --data d/count
case_ "sizes overflow (65536 × 65536 × 1)" "${T[@]}" --data d/overflow
case_ "header claims 2·10⁹ bytes, file has 100" "${T[@]}" --data d/lying-size
case_ "trailing bytes" "${T[@]}" --data d/trailing
case_ "label outside the classes (200)" "${T[@]}" --data d/label-range
case_ "train 8×8 but test 7×7 images" "${T[@]}" --data d/sizes

section "Model files (\`prune ${COMMON[*]} ${PRUNE[*]} --data d/good --model FILE\`)"
P=(prune "${COMMON[@]}" "${PRUNE[@]}" --data d/good)
case_ "missing" "${P[@]}" --model m/none.safetensors
case_ "a folder" "${P[@]}" --model m
case_ "empty" "${P[@]}" --model m/empty.safetensors
case_ "truncated to 5 bytes" "${P[@]}" --model m/cut8.safetensors
case_ "truncated in the data" "${P[@]}" --model m/cut-data.safetensors
case_ "header length larger than the file" "${P[@]}" --model m/header-long.safetensors
case_ "header length 2^62" "${P[@]}" --model m/header-huge.safetensors
case_ "header not JSON" "${P[@]}" --model m/not-json.safetensors
case_ "header JSON but not an object" "${P[@]}" --model m/json-array.safetensors
case_ "offsets outside the data" "${P[@]}" --model m/outside.safetensors
case_ "offsets overlapping" "${P[@]}" --model m/overlap.safetensors
case_ "dtype F16" "${P[@]}" --model m/f16.safetensors
case_ "shape disagrees with the byte count" "${P[@]}" --model m/shape-bytes.safetensors
case_ "architecture metadata disagrees with the tensors" "${P[@]}" --model m/arch-out.safetensors
case_ "unknown layer type in the architecture" "${P[@]}" --model m/arch-type.safetensors
case_ "no architecture (plain safetensors)" "${P[@]}" --model m/no-arch.safetensors
case_ "a tensor the architecture does not use" "${P[@]}" --model m/extra.safetensors
case_ "NaN weight" "${P[@]}" --model m/nan.safetensors
case_ "infinite weight" "${P[@]}" --model m/inf.safetensors
case_ "another architecture: 784 inputs, data has 64" "${P[@]}" --model m/in784.safetensors
case_ "another architecture: 4 outputs, data has 10 classes" "${P[@]}" --model m/out4.safetensors
case_ "--hidden contradicts the model" "${P[@]}" --model base.safetensors --hidden 300,100
case_ "an IDX file given as the model" "${P[@]}" --model d/good/train-images-idx3-ubyte.gz

section "Options (\`prune ${COMMON[*]} ${PRUNE[*]} --data d/good --model base.safetensors …\`, \`train ${COMMON[*]} ${TRAIN[*]} --data d/good …\`)"
PM=("${P[@]}" --model base.safetensors)
TG=("${T[@]}" --data d/good)
case_ "sparsity 1" "${PM[@]}" --sparsity 1
case_ "sparsity below 0" "${PM[@]}" --sparsity=-0.1
case_ "sparsity NaN" "${PM[@]}" --sparsity NaN
case_ "threshold NaN" "${PM[@]}" --threshold NaN
case_ "keep count larger than a layer (16)" "${PM[@]}" --keep 99
case_ "keep count 0" "${PM[@]}" --keep 0
case_ "sparsity and keep together" "${PM[@]}" --sparsity 0.5 --keep 3
case_ "iterative schedule with a keep count" "${PM[@]}" --schedule iterative --keep 3
case_ "gradual schedule without fine-tuning" "${PM[@]}" --schedule gradual --finetune-epochs 0
case_ "zero epochs" "${TG[@]}" --epochs 0
case_ "negative epochs" "${TG[@]}" --epochs -2
case_ "negative fine-tune epochs" "${PM[@]}" --finetune-epochs -1
case_ "zero batch size" "${TG[@]}" --batch 0
case_ "negative batch size" "${TG[@]}" --batch -3
case_ "unknown criterion" "${PM[@]}" --criterion oracle
case_ "unit-only criterion, unstructured" "${PM[@]}" --unstructured --criterion apoz
case_ "unknown schedule" "${PM[@]}" --schedule sometimes
case_ "rounds 0" "${PM[@]}" --schedule iterative --rounds 0
case_ "calibration batches 0" "${PM[@]}" --calibration-batches 0
case_ "distillation weight 2" "${PM[@]}" --distill --distill-alpha 2
case_ "distillation temperature 0" "${PM[@]}" --distill --distill-temperature 0
case_ "distillation temperature infinite" "${PM[@]}" --distill --distill-temperature Infinity
case_ "max prune ratio 2" "${PM[@]}" --max-prune-ratio 2
case_ "rewinding a loaded model" "${PM[@]}" --rewind
case_ "reconstruction with the gradual schedule" "${PM[@]}" --reconstruct --schedule gradual
case_ "reconstruction and bias compensation together" "${PM[@]}" --reconstruct --bias-compensation
case_ "reconstruction and rewinding together" "${PM[@]}" --reconstruct --rewind
case_ "learning rate NaN" "${TG[@]}" --lr NaN
case_ "fine-tune learning rate 0" "${PM[@]}" --finetune-lr 0
case_ "unknown optimiser" "${TG[@]}" --optimizer lion
case_ "hidden size 0" "${TG[@]}" --hidden 10,0
case_ "hidden layer of 10⁸ units (more weights than a tensor holds)" train "${COMMON[@]}" --data d/good --hidden 100000000 --epochs 1
case_ "unknown architecture" "${TG[@]}" --arch resnet
case_ "--channels without --arch cnn" "${TG[@]}" --channels 4,8
case_ "--arch cnn with two --hidden sizes" train "${COMMON[@]}" --data d/good --arch cnn --hidden 16,8 --epochs 1
case_ "--arch cnn with more pool stages than the 8x8 images allow" train "${COMMON[@]}" --data d/good --arch cnn --hidden 8 --channels 2,2,2,2 --epochs 1
case_ "--arch cnn asked, the file holds an mlp" "${PM[@]}" --arch cnn
case_ "threads 0" "${TG[@]}" --threads 0
case_ "--device cuda without a GPU" "${TG[@]}" --device cuda
case_ "unknown device" "${TG[@]}" --device tpu
case_ "seed not a number" "${TG[@]}" --seed abc
case_ "unknown option" "${TG[@]}" --epoch 3
case_ "--save in a missing folder" "${TG[@]}" --save no/such/m.safetensors
case_ "--save in a folder that is not writable" --as-nobody "${TG[@]}" --save ro/m.safetensors
case_ "--report names a folder" "${TG[@]}" --report a-folder.json
case_ "sweep: sparsity 1.5" sweep "${COMMON[@]}" "${PRUNE[@]}" --data d/good --model base.safetensors --sparsities 0.5,1.5
case_ "sweep: unknown criterion in the list" sweep "${COMMON[@]}" "${PRUNE[@]}" --data d/good --model base.safetensors --criteria taylor,oracle

if [[ "$have_onnx" == yes ]]; then
section "ONNX files (\`prune ${COMMON[*]} ${PRUNE[*]} --data d/good --model FILE.onnx\`, \`evaluate\`)"
case_ "truncated protobuf (cut in half)" "${P[@]}" --model o/truncated.onnx
case_ "not ONNX (an IDX file named .onnx)" "${P[@]}" --model o/idx.onnx
case_ "unknown operator" "${P[@]}" --model o/unknown-op.onnx
case_ "tensor data shorter than its shape" "${P[@]}" --model o/short-data.onnx
case_ "tensor data longer than its shape" "${P[@]}" --model o/long-data.onnx
case_ "an input no node or initializer produces" "${P[@]}" --model o/dangling.onnx
case_ "a cycle" "${P[@]}" --model o/cycle.onnx
case_ "NaN weight" "${P[@]}" --model o/nan.onnx
case_ "external data file missing" "${P[@]}" --model o/external.onnx
case_ "external data outside the model's folder" "${P[@]}" --model o/external-escape.onnx
case_ "opset 7" "${P[@]}" --model o/opset7.onnx
case_ "two graph inputs" "${P[@]}" --model o/two-inputs.onnx
case_ "symbolic feature extent, no --input-shape" "${P[@]}" --model o/symbolic.onnx
case_ "--input-shape contradicts the file" "${P[@]}" --model base.onnx --input-shape 3,8,8
case_ "Add of 4 and 6 channels" evaluate "${COMMON[@]}" --data none --model o/add-channels.onnx
case_ "Concat along the height" evaluate "${COMMON[@]}" --data none --model o/concat-axis.onnx
case_ "BatchNormalization in training mode" evaluate "${COMMON[@]}" --data none --model o/bn-training.onnx
case_ "MaxPool with uneven pads" evaluate "${COMMON[@]}" --data none --model o/maxpool-pads.onnx
case_ "a reflecting Pad" evaluate "${COMMON[@]}" --data none --model o/reflect-pad.onnx
case_ "dilation 2" evaluate "${COMMON[@]}" --data none --model o/dilation.onnx
case_ "INT8 weights" evaluate "${COMMON[@]}" --data none --model o/int8.onnx
case_ "a bilinear Resize (upsampling)" evaluate "${COMMON[@]}" --data none --model o/resize.onnx
case_ "Softmax before the last node" evaluate "${COMMON[@]}" --data none --model o/softmax-middle.onnx
case_ "a 5-d Transpose that is no channel shuffle (perm [0, 1, 2, 4, 3])" evaluate "${COMMON[@]}" --data none --model o/channel-shuffle.onnx
case_ "--data none with a criterion that needs data" prune "${COMMON[@]}" --data none --model base.onnx --finetune-epochs 0
case_ "--data none with fine-tuning" prune "${COMMON[@]}" --data none --model base.onnx --criterion magnitude
case_ "--data none without a model" prune "${COMMON[@]}" --data none
case_ "--verify 0" "${P[@]}" --model base.onnx --verify 0
case_ "evaluate: unknown engine" evaluate "${COMMON[@]}" --data d/good --model base.onnx --engine tensorrt
case_ "--save ONNX over an existing file, training turns NaN" --unchanged keep.onnx "${P[@]}" --model base.onnx --finetune-lr 1e30 --save keep.onnx
fi

section "Numbers"
case_ "loss turns NaN while fine-tuning (--save over an existing model)" --unchanged keep.safetensors "${PM[@]}" --finetune-lr 1e30 --save keep.safetensors
case_ "loss turns NaN while training (--save over an existing model)" --unchanged keep.safetensors "${TG[@]}" --lr 1e30 --optimizer sgd --save keep.safetensors

# all-equal scores are not an error: ties go to the lower index, so the result is the same every time
ties_out=""
for i in 1 2; do
    java -jar "$JAR" prune "${COMMON[@]}" --data d/good --model m/ties.safetensors --criterion magnitude --sparsity 0.5 \
        --finetune-epochs 0 --save "ties$i.safetensors" >/dev/null 2>&1 || ties_out="exit $?"
done
ties_kept=$(python3 - <<'PY'
import json, struct
def fc1(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); o = h['fc1.weight']['data_offsets']
    w = b[8 + n + o[0]:8 + n + o[1]]; cols = h['fc1.weight']['shape'][1]
    return [w[r * 4 * cols:(r + 1) * 4 * cols] for r in range(h['fc1.weight']['shape'][0])]
orig, a, b = fc1('m/ties.safetensors'), fc1('ties1.safetensors'), fc1('ties2.safetensors')
print(','.join(str(orig.index(r)) for r in a) + ('; two runs identical' if a == b else '; TWO RUNS DIFFER'))
PY
)
rows+=("| all 16 units of fc1 score the same (rows are cyclic shifts of one vector) | \`prune ${COMMON[*]} --data d/good --model m/ties.safetensors --criterion magnitude --sparsity 0.5 --finetune-epochs 0 --save tiesN.safetensors\` (twice) | ${ties_out:-0} | not an error: fc1 keeps rows ${ties_kept} |")

{
    echo "# Bad input → the error it gives"
    echo
    echo "Measured with \`scripts/bad-inputs.sh\` ($(java -jar "$JAR" --version 2>/dev/null | head -1), $(java -version 2>&1 | head -1 | tr -d '"'), $(date -u +%Y-%m-%d))."
    echo "Each row ran the real command line in a scratch folder (paths are relative to it; \`<scratch>\` stands"
    echo "for its absolute path, which changes from run to run) on a toy"
    echo "MNIST-format data set (300 + 100 images, 8×8) and a 64-16-8-10 model the CLI trained on it."
    echo "The error line is the last line the run printed on stderr, copied as it was; exit status 1 is"
    echo "an error we expected, 2 a usage error. Every row was checked for exit status 1 or 2, exactly one"
    echo "\`prune4j: error:\` line and no stack trace (\`--verbose\` adds the stack trace). Exit status 3 is"
    echo "kept for internal errors, bugs in prune4j: those say so, ask for a report and print the stack"
    echo "trace (\`ExitStatusTest\`); no bad input here may give one."
    printf '%s\n' "${rows[@]}"
} >"$OUTPUT"
echo "wrote $OUTPUT ($(($(grep -c '^| ' "$OUTPUT") - $(grep -c '^| input |' "$OUTPUT"))) cases, status $status)" >&2
exit $status
