#!/usr/bin/env node
// Writes a SQLite file the way a Knex 3 app on node-sqlite3 does (schema builder and
// query builder only): increments() keys, uuid() as char(36), timestamps() with
// CURRENT_TIMESTAMP defaults, JS Date values (node-sqlite3 binds them as epoch
// milliseconds), booleans as 1/0, json() as text, binary() as blob, decimal(p,s),
// enu() with a CHECK, foreign keys incl. a self-reference, a many-to-many join table.
// Usage: knex_fixture.js OUT.sqlite3
'use strict';
const fs = require('fs');
const knexLib = require('knex');

async function main(file) {
  if (fs.existsSync(file)) fs.unlinkSync(file);
  const knex = knexLib({ client: 'sqlite3', connection: { filename: file }, useNullAsDefault: true });
  await knex.schema.createTable('accounts', (t) => {
    t.increments('id');
    t.uuid('public_id').notNullable().unique();
    t.string('name', 40).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.decimal('balance', 10, 2);
    t.float('ratio');
    t.double('precise');
    t.bigInteger('counter');
    t.json('settings');
    t.jsonb('extra');
    t.binary('avatar');
    t.date('born');
    t.time('wakes');
    t.datetime('last_seen');                     // JS Date -> epoch ms integer
    t.timestamp('synced_at', { useTz: true });   // ISO text with offsets, written raw
    t.enu('plan', ['free', 'pro', 'team']);
    t.integer('parent_id').unsigned().references('id').inTable('accounts').onDelete('SET NULL');
    t.timestamps(true, true);                    // created_at/updated_at DEFAULT CURRENT_TIMESTAMP
  });
  await knex.schema.createTable('projects', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('title', 100).notNullable();
    t.text('body');
    t.unique(['account_id', 'title']);
    t.timestamps(true, true);
  });
  await knex.schema.createTable('labels', (t) => {
    t.uuid('id').primary();
    t.string('name', 20).notNullable().unique();
  });
  await knex.schema.createTable('project_labels', (t) => {
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.uuid('label_id').notNullable().references('id').inTable('labels');
    t.primary(['project_id', 'label_id']);
  });
  let s = 7;
  const r = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const uuid = () => {
    const h = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)); h[12] = '4';
    const x = h.join(''); return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };
  const dates = ['1970-01-01T00:00:00Z', '2024-03-31T01:30:00.123Z', '2024-10-27T01:30:00Z', '1900-01-01T00:00:00Z', '2038-01-19T03:14:08Z'].map((d) => new Date(d));
  const offsets = ['2024-01-02 03:04:05.678 +00:00', '2024-01-02T03:04:05Z', '2024-03-31 03:30:00+02:00', '2024-10-27 02:30:00 +01:00', '2024-06-01 12:00:00-07:00', '0999-12-31 23:59:59+00:00', null];
  const decimals = [19.999, '19.985', 0.125, 0.1 + 0.2, 12345678.99, -0.005, 0, null];
  const accounts = [];
  for (let i = 0; i < 40; i++) {
    const [id] = await knex('accounts').insert({
      public_id: uuid(),
      name: i === 0 ? 'ß'.repeat(40) : `account ${i}`,
      active: i % 3 !== 0,
      balance: decimals[i % decimals.length],
      ratio: [0.1, 1e-300, 1.7976931348623157e308, -0, 1 / 3][i % 5],
      precise: 2 ** 53 + 2,
      counter: ['9007199254740993', '-9223372036854775808', '9223372036854775807', 0][i % 4],
      settings: JSON.stringify({ i, tags: ['a', 'b'], nested: { ok: i % 2 === 0 } }),
      extra: i % 4 === 0 ? null : JSON.stringify([i, 'x', null, 1.5]),
      avatar: i % 5 === 0 ? null : Buffer.from([0, 255, i, 10, 13]),
      born: ['2000-02-29', '0999-06-15', '1582-10-10', null][i % 4],
      wakes: ['07:30:00', '23:59:59.999', '00:00', null][i % 4],
      last_seen: i % 6 === 5 ? null : dates[i % dates.length],
      synced_at: offsets[i % offsets.length],
      plan: ['free', 'pro', 'team'][i % 3],
      parent_id: i > 0 && i % 3 ? accounts[Math.floor(i / 2)] : null,
    });
    accounts.push(id);
  }
  // created_at/updated_at: the CURRENT_TIMESTAMP default text for most rows, fixed
  // values for determinism, and a Date written by the app (epoch ms) for some
  await knex('accounts').update({ created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00' });
  await knex('accounts').where('id', '<', 6).update({ updated_at: new Date('2024-05-05T05:05:05.005Z') });
  const labels = [];
  for (let i = 0; i < 10; i++) { const id = uuid(); labels.push(id); await knex('labels').insert({ id, name: `label-${i}` }); }
  for (let i = 0; i < 120; i++) {
    const [pid] = await knex('projects').insert({ account_id: accounts[i % 40], title: `project ${i}`, body: i % 7 ? `body ${i}\n` : null, created_at: dates[i % dates.length], updated_at: '2024-02-02 02:02:02' });
    for (let k = 0; k < i % 3; k++) await knex('project_labels').insert({ project_id: pid, label_id: labels[(i + k) % 10] });
  }
  await knex.destroy();
  console.log(`wrote ${file}`);
}
main(process.argv[2]).catch((e) => { console.error(e); process.exit(1); });
