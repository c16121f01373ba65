#!/usr/bin/env node
// Sequelize 6 round trip for liteport.
//   fill-sqlite FILE   sync() + deterministic rows through the ORM into a SQLite file
//   sync-pg            sync() on Postgres (ORM_PG_HOST/PORT/DB): the ORM creates the schema
//   compare FILE OUT   findAll ordered by pk on both databases, JSON-serialized, compared
//   create-one         one new row per model on Postgres (in a transaction rolled back)
'use strict';
const { Sequelize, DataTypes } = require('sequelize');

function pg() {
  return new Sequelize(process.env.ORM_PG_DB, 'postgres', null, {
    dialect: 'postgres', host: process.env.ORM_PG_HOST, port: process.env.ORM_PG_PORT, logging: false,
  });
}
function sqlite(file) {
  return new Sequelize({ dialect: 'sqlite', storage: file, logging: false });
}

function define(sequelize) {
  const User = sequelize.define('User', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },      // SERIAL
    uuid: { type: DataTypes.UUID, allowNull: false, unique: true },
    name: { type: DataTypes.STRING(40), allowNull: false },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },  // TINYINT(1) in SQLite
    born: DataTypes.DATEONLY,
    seenAt: DataTypes.DATE,                                                     // DATETIME with offset
    balance: DataTypes.DECIMAL(10, 2),
    ratio: DataTypes.DOUBLE,
    score: DataTypes.FLOAT,
    big: DataTypes.BIGINT,
    prefs: DataTypes.JSON,
    avatar: DataTypes.BLOB,
  }, { indexes: [{ unique: true, fields: ['name', 'born'] }] });
  User.belongsTo(User, { as: 'manager', foreignKey: 'managerId' });            // self-reference
  const Item = sequelize.define('Item', {
    id: { type: DataTypes.UUID, primaryKey: true },                              // UUID key
    title: { type: DataTypes.STRING(100), allowNull: false },
    price: DataTypes.DECIMAL(12, 4),
    meta: DataTypes.JSON,
    data: DataTypes.BLOB,
    flag: DataTypes.BOOLEAN,
    at: DataTypes.DATE,
  });
  Item.belongsTo(User, { foreignKey: { name: 'userId', allowNull: false }, onDelete: 'CASCADE' });
  User.hasMany(Item, { foreignKey: 'userId' });
  const Tag = sequelize.define('Tag', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    label: { type: DataTypes.STRING(20), unique: true },
  }, { timestamps: false });
  Item.belongsToMany(Tag, { through: 'ItemTags' });                             // many-to-many
  Tag.belongsToMany(Item, { through: 'ItemTags' });
  return { User, Item, Tag, ItemTags: sequelize.models.ItemTags };
}

// deterministic pseudo-random numbers
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}
function uuidFrom(r) {
  const h = []; for (let i = 0; i < 32; i++) h.push(Math.floor(r() * 16).toString(16));
  h[12] = '4'; h[16] = '89ab'[Math.floor(r() * 4)];
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
const DATES = [
  '0999-12-31T23:59:59.999Z', '1000-01-01T00:00:00.000Z', '1893-03-31T23:06:32.000Z', '1970-01-01T00:00:00.000Z',
  '2024-03-31T00:59:59.999Z', '2024-03-31T01:00:00.000Z', '2024-03-31T01:30:00.000Z', '2024-10-27T00:30:00.000Z',
  '2024-10-27T01:00:00.000Z', '2024-10-27T01:30:00.500Z', '2038-01-19T03:14:08.000Z', '2024-01-02T03:04:05.678Z',
  '9999-12-31T23:59:59.999Z',
].map((s) => new Date(s));
const DAYS = ['0001-01-01', '0999-06-15', '2000-02-29', '2024-03-31', '9999-12-31'];
const DECIMALS = ['19.999', '19.985', '0.125', '-0.005', '12345678.99', '99999999.99', '0', '0.10', 19.999, 0.1 + 0.2];
const FLOATS = [0.1, 1e-300, 5e-324, 1.7976931348623157e308, -0, 2 ** 53 + 2, 1 / 3, -123456.789, 1e20, 100];
const JSONS = [{ b: 1, a: [1, 2, { c: null }] }, { unicode: 'grüße ☃ 😀', q: 'tab\t"' }, [], {}, 'text', 12345, 0.1, true, null];

async function fill(file) {
  const conn = sqlite(file);
  const models = [define(conn)];
  await conn.sync({ force: true });
  const r = rng(42);
  const users = [];
  for (let i = 0; i < 60; i++) {
    const { User } = models[0];
    const t = DATES[i % DATES.length];
    users.push(await User.create({
      uuid: uuidFrom(r),
      name: i === 0 ? 'ä'.repeat(40) : i === 1 ? '😀'.repeat(40) : `user ${i}`,
      active: i % 3 !== 0,
      born: i % 7 === 0 ? null : DAYS[i % DAYS.length],
      seenAt: i % 5 === 0 ? null : t,
      balance: i % 6 === 5 ? null : DECIMALS[i % DECIMALS.length],
      ratio: FLOATS[i % FLOATS.length],
      score: i % 4 === 0 ? null : Math.fround(r() * 100),
      big: [0, -1, '9007199254740993', '-9223372036854775808', '9223372036854775807', 42][i % 6],
      prefs: JSONS[i % JSONS.length],
      avatar: i % 4 === 0 ? null : Buffer.from(Array.from({ length: i % 17 }, (_, k) => (k * 37 + i) % 256)),
      managerId: i > 2 && i % 4 ? users[Math.floor(i / 3)].id : null,
      createdAt: t, updatedAt: DATES[(i + 1) % DATES.length],
    }, { silent: true }));
  }
  const tags = [];
  for (let i = 0; i < 20; i++) tags.push(await models[0].Tag.create({ label: `tag-${i}` }));
  for (let i = 0; i < 150; i++) {
    const { Item } = models[0];
    const it = await Item.create({
      id: uuidFrom(r),
      title: `item ${i}`,
      price: i % 9 === 8 ? null : DECIMALS[i % DECIMALS.length],
      meta: JSONS[(i + 3) % JSONS.length],
      data: i % 5 === 0 ? null : Buffer.from(Array.from({ length: i % 23 }, () => Math.floor(r() * 256))),
      flag: [true, false, null][i % 3],
      at: i % 8 === 0 ? null : DATES[(i * 5) % DATES.length],
      userId: users[i % 60].id,
      createdAt: DATES[i % DATES.length], updatedAt: DATES[(i + 2) % DATES.length],
    }, { silent: true });
    const mine = tags.slice(i % 20, i % 20 + (i % 4));
    for (const t of mine) {
      await models[0].ItemTags.create({ ItemId: it.id, TagId: t.id, createdAt: DATES[i % DATES.length], updatedAt: DATES[i % DATES.length] }, { silent: true });
    }
  }
  // Sequelize writes '... +00:00'; other writers (or Sequelize with another timezone on
  // MySQL-style setups) leave other offsets: the same instants rewritten with offsets
  await conn.query(`UPDATE Items SET at = strftime('%Y-%m-%d %H:%M:%f', at, '+330 minutes') || ' +05:30' WHERE at IS NOT NULL AND substr(at, 1, 4) BETWEEN '1971' AND '9000' AND rowid % 3 = 1`);
  await conn.query(`UPDATE Items SET at = strftime('%Y-%m-%d %H:%M:%f', at, '+60 minutes') || ' +01:00' WHERE at IS NOT NULL AND substr(at, 1, 4) BETWEEN '1971' AND '9000' AND rowid % 3 = 2`);
  // (not negative offsets: Sequelize's SQLite DATE.parse only honours offsets containing '+')
  await conn.close();
  console.log(`filled ${file}`);
}

async function syncPg() {
  const s = pg(); define(s); await s.sync(); await s.close(); console.log('synced');
}

function canon(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
  if (Buffer.isBuffer(v)) return { hex: v.toString('hex') };
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return v;
}
// DECIMAL comes back as a string from pg and as a number from sqlite3: compare the
// decimal value (trailing zeros dropped), not the JS type
const DECIMAL_COLS = new Set(['User.balance', 'Item.price']);
const DECIMAL_SCALE = { 'User.balance': 2, 'Item.price': 4 };
// The schema's DECIMAL(10,2) cannot hold 19.999: the liteport call rounds it on purpose
// ({"numeric_rounding": "half_up"}, as Postgres itself rounds a value the app writes),
// and the comparison applies the same rounding to what the app reads from SQLite.
const ROUNDING = process.env.LITEPORT_NUMERIC_ROUNDING || '';
function roundHalfUp(text, scale) {
  let s = String(text).trim();
  const neg = s.startsWith('-');
  s = s.replace(/^[-+]/, '');
  if (/e/i.test(s)) s = Number(s).toFixed(20).replace(/0+$/, '');
  let [int, frac = ''] = s.split('.');
  if (frac.length <= scale) return (neg ? '-' : '') + int + (scale ? '.' + frac.padEnd(scale, '0') : '');
  const up = frac[scale] >= '5';
  let digits = (int + frac.slice(0, scale)).split('').map(Number);
  if (up) {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 9) { digits[i] = 0; i--; }
    if (i < 0) digits.unshift(1); else digits[i]++;
  }
  const all = digits.join('');
  const intPart = all.slice(0, all.length - scale) || '0';
  const out = scale ? `${intPart}.${all.slice(all.length - scale)}` : intPart;
  return (neg && /[1-9]/.test(out) ? '-' : '') + out;
}
// BIGINT: pg returns a string, node-sqlite3 a JS number (lossy beyond 2^53): read the
// SQLite integer as text so the comparison sees the stored value
const BIGINT_COLS = { User: ['big'] };
function decimalText(v) {
  if (v === null) return null;
  let s = typeof v === 'number' ? String(v) : v;
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return `decimal:${s}`;
}
async function dump(sequelize) {
  const models = define(sequelize);
  const out = {};
  for (const [name, M] of Object.entries(models)) {
    const pk = M.primaryKeyAttributes;
    const big = BIGINT_COLS[name] || [];
    const attributes = sequelize.getDialect() === 'sqlite' && big.length
      ? { include: big.map((c) => [sequelize.literal(`CAST(\`${c}\` AS TEXT)`), c]) } : undefined;
    const rows = await M.findAll({ attributes, order: pk.map((k) => [k, 'ASC']) });
    out[name] = rows.map((row) => {
      const o = row.get({ plain: true });
      const c = {};
      for (const k of Object.keys(o).sort()) {
        if (DECIMAL_COLS.has(`${name}.${k}`)) {
          const v = o[k] !== null && ROUNDING === 'half_up' && sequelize.getDialect() === 'sqlite' ? roundHalfUp(o[k], DECIMAL_SCALE[`${name}.${k}`]) : o[k];
          c[k] = decimalText(v);
        }
        else if (big.includes(k)) c[k] = o[k] === null ? null : String(o[k]);
        else c[k] = canon(o[k]);
      }
      return c;
    });
  }
  return out;
}

async function compare(file, prefix) {
  const fs = require('fs');
  const a = sqlite(file); const b = pg();
  const da = await dump(a); const db = await dump(b);
  await a.close(); await b.close();
  fs.writeFileSync(`${prefix}.sqlite.json`, JSON.stringify(da, null, 1));
  fs.writeFileSync(`${prefix}.postgres.json`, JSON.stringify(db, null, 1));
  let bad = 0;
  for (const name of Object.keys(da)) {
    const ra = da[name]; const rb = db[name];
    console.log(`# ${name}: sqlite ${ra.length} rows, postgres ${rb.length} rows`);
    if (ra.length !== rb.length) { bad++; console.log(`differs: ${name}: row count ${ra.length} vs ${rb.length}`); }
    const diffs = {};
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
      for (const k of new Set([...Object.keys(ra[i]), ...Object.keys(rb[i])])) {
        const va = JSON.stringify(ra[i][k]); const vb = JSON.stringify(rb[i][k]);
        if (va !== vb) (diffs[k] = diffs[k] || []).push([ra[i].id, va, vb]);
      }
    }
    for (const [k, list] of Object.entries(diffs)) {
      bad++;
      console.log(`differs: ${name}.${k}: ${list.length} rows; ` + list.slice(0, 3).map(([id, va, vb]) => `pk ${id}: sqlite=${String(va).slice(0, 80)} postgres=${String(vb).slice(0, 80)}`).join('; '));
    }
  }
  if (bad) process.exit(1);
  console.log('identical');
}

async function createOne() {
  const s = pg(); const m = define(s);
  const failures = [];
  const t = await s.transaction();
  const attempt = async (label, fn) => {
    const sp = await s.transaction({ transaction: t });
    try { const r = await fn(sp); await sp.commit(); console.log(`created ${label} ${r}`); } catch (e) { await sp.rollback(); failures.push(`${label}: ${e.name}: ${e.parent ? e.parent.message : e.message}`); }
  };
  await attempt('User', async (tx) => (await m.User.create({ uuid: '00000000-0000-4000-8000-000000000001', name: 'new', balance: '1.50', prefs: { n: 1 }, avatar: Buffer.from([1]) }, { transaction: tx })).id);
  await attempt('Item', async (tx) => (await m.Item.create({ id: '00000000-0000-4000-8000-000000000002', title: 'new', userId: (await m.User.findOne({ order: [['id', 'ASC']], transaction: tx })).id, at: new Date(0) }, { transaction: tx })).id);
  await attempt('Tag', async (tx) => (await m.Tag.create({ label: 'new-tag' }, { transaction: tx })).id);
  await attempt('ItemTags', async (tx) => {
    const it = await m.Item.findOne({ order: [['id', 'ASC']], transaction: tx });
    const tag = await m.Tag.findOne({ where: { label: 'tag-19' }, transaction: tx });
    await it.addTag(tag, { transaction: tx }); return 'added';
  });
  await t.rollback();
  await s.close();
  for (const f of failures) console.log(`FAILED ${f}`);
  if (failures.length) process.exit(1);
}

const [cmd, ...args] = process.argv.slice(2);
const run = { 'fill-sqlite': () => fill(args[0]), 'sync-pg': syncPg, compare: () => compare(args[0], args[1]), 'create-one': createOne }[cmd];
if (!run) { console.error('usage: sequelize_roundtrip.js fill-sqlite FILE | sync-pg | compare FILE OUT | create-one'); process.exit(2); }
run().catch((e) => { console.error(e.stack || e); if (e.parent) console.error(e.parent.message); process.exit(1); });
