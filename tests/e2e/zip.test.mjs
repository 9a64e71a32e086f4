// The project zip (www/zip.js) without a browser: CRC-32 against its check value,
// a stored archive that round-trips byte for byte (including a UTF-8 name and an
// empty entry), an archive with deflated entries as other zip tools write them (made
// here with zlib), and clear errors for damaged archives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { crc32, zip, unzip } from '../../www/zip.js';

test('CRC-32 check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('a stored archive round-trips', async () => {
  const entries = [
    { name: 'project.json', bytes: new TextEncoder().encode('{"a": 1}') },
    { name: 'images/0/샌들.png', bytes: Uint8Array.from({ length: 70000 }, (_, i) => (i * 7) & 255) },
    { name: 'empty', bytes: new Uint8Array(0) },
  ];
  const bytes = zip(entries);
  assert.equal(String.fromCharCode(bytes[0], bytes[1]), 'PK');
  const back = await unzip(bytes);
  assert.deepEqual(back.map((e) => e.name), entries.map((e) => e.name));
  back.forEach((e, i) => assert.deepEqual(e.bytes, entries[i].bytes));
});

/** A one-entry zip with the entry deflated, as zip tools write by default. */
function deflatedZip(name, data) {
  const n = Buffer.from(name);
  const comp = deflateRawSync(data);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14); local.writeUInt32LE(comp.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16); central.writeUInt32LE(comp.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(n.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12); end.writeUInt32LE(30 + n.length + comp.length, 16);
  return Buffer.concat([local, n, comp, central, n, end]);
}

test('deflated entries are read (DecompressionStream deflate-raw)', async () => {
  const data = Buffer.from('transfer learning '.repeat(1000));
  const [e] = await unzip(new Uint8Array(deflatedZip('labels.txt', data)));
  assert.equal(e.name, 'labels.txt');
  assert.equal(Buffer.from(e.bytes).toString(), data.toString());
});

test('damaged archives are refused with a reason', async () => {
  await assert.rejects(unzip(new TextEncoder().encode('not a zip at all, just text')), (e) => e.code === 'BAD_PROJECT' && /end of central directory/.test(e.params.detail));
  const good = zip([{ name: 'a.txt', bytes: new TextEncoder().encode('hello') }]);
  const bad = good.slice();
  bad[30 + 5] ^= 0xff; // a byte of the content
  await assert.rejects(unzip(bad), (e) => /CRC-32/.test(e.params.detail));
  const cut = good.slice(0, 20);
  await assert.rejects(unzip(cut), (e) => e.code === 'BAD_PROJECT');
});
