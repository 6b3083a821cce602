// The cluster page in a real browser: starts a 4-node cluster of
// `beamlink node` processes (their own EPMD on its own port, every socket
// on 127.0.0.1), opens one node's page in Debian's headless Chromium
// (playwright-core, executablePath /usr/bin/chromium), waits until it shows
// 4 nodes, kills one node by pid, and waits until the page shows 3 through
// its event stream, without a reload; then writes a screenshot.
//
//   node cluster_page_test.mjs --cli build/dev/bin/beamlink \
//        [--screenshot docs/cluster-page.png]
//
// Every wait is on a condition and bounded in time; only the pids this
// script started are stopped. A missing Chromium is a failure (scripts/
// install-deps.sh installs it). Exit status 0 only when every check held.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const kChromium = '/usr/bin/chromium';
const kHost = '127.0.0.1';
const kFormation = 30_000;  // ms: four nodes connect (each dials the others)
const kNodedown = 10_000;   // ms: the page shows the kill

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const cli = option('--cli');
const screenshot = option('--screenshot', 'cluster-page.png');
if (!cli || !fs.existsSync(cli)) {
  console.error(`cluster_page_test: --cli must name the beamlink binary (got ${cli})`);
  process.exit(2);
}
if (!fs.existsSync(kChromium)) {
  console.error(`cluster_page_test: FAIL: ${kChromium} is missing (scripts/install-deps.sh installs chromium)`);
  process.exit(1);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beamlink-page-'));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, kHost, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(label, args) {
  const log = fs.openSync(path.join(dir, `${label}.log`), 'w');
  const child = spawn(cli, args, { stdio: ['ignore', log, log] });
  child.label = label;
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  children.push(child);
  return child;
}

async function until(what, check, limitMs, everyMs = 100) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      // not yet: a refused connection, a body not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, kHost, () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function connectedPeers(healthPort) {
  const response = await fetch(`http://${kHost}:${healthPort}/cluster`);
  const body = await response.json();
  return body.nodes.filter((n) => n.connected).length;
}

async function stopChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  for (const child of children) {
    const done = await Promise.race([child.exited.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!done) child.kill('SIGKILL');
  }
}

async function main() {
  const epmdPort = await freePort();
  start('epmd', ['epmd', '--port', String(epmdPort), '--address', kHost]);
  await until('beamlink epmd to listen', () => accepts(epmdPort), 10_000);

  const names = [1, 2, 3, 4].map((i) => `page${i}_${process.pid}@${kHost}`);
  const config = path.join(dir, 'cluster.toml');
  fs.writeFileSync(config, [
    '[node]', `cookie = "page_${process.pid}_${Date.now()}"`, `epmd_port = ${epmdPort}`, '',
    '[reconciler]', 'backoff_initial = "50ms"', '',
    '[topologies.static]', 'strategy = "epmd"',
    `hosts = [${names.map((n) => `"${n}"`).join(', ')}]`, ''].join('\n'));
  const nodes = [];
  for (const [i, name] of names.entries()) {
    const health = await freePort();
    const child = start(`node${i + 1}`, ['node', '--config', config, '--name', name,
      '--health-port', String(health)]);
    nodes.push({ name, health, child });
  }
  const [watched, , , victim] = nodes;
  await until('node 1 to connect to the other three', async () =>
    (await connectedPeers(watched.health)) === 3, kFormation);

  const browser = await chromium.launch({ executablePath: kChromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const failed = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
    await page.goto(`http://${kHost}:${watched.health}/`);
    await page.waitForFunction(() =>
      document.getElementById('node-count').dataset.count === '4' &&
      document.getElementById('stream-state').textContent === 'live', null, { timeout: kFormation });
    const peerRows = await page.locator('#peers tbody tr').count();
    if (peerRows !== 3) throw new Error(`expected 3 connection rows, saw ${peerRows}`);
    await page.evaluate(() => { window.notReloaded = true; });

    const killedAt = Date.now();
    process.kill(victim.child.pid, 'SIGKILL');
    await page.waitForFunction((name) =>
      document.getElementById('node-count').dataset.count === '3' &&
      [...document.querySelectorAll('#events li.nodedown')].some((li) => li.textContent.includes(name)),
    victim.name, { timeout: kNodedown });
    const shownAfter = Date.now() - killedAt;
    if (!(await page.evaluate(() => window.notReloaded === true))) {
      throw new Error('the page was reloaded; it must follow the event stream');
    }
    // Still wanted by the static topology: drawn as a node that is not connected.
    const drawnDown = await page.locator(`#graph g.node-down[data-node="${victim.name}"]`).count();
    if (drawnDown !== 1) throw new Error(`${victim.name} is not drawn as wanted-but-down`);
    // The counters follow from /cluster, re-read after the event.
    await page.waitForFunction(() => [...document.querySelectorAll('#dist tr')].some((tr) =>
      tr.cells[0].textContent === 'disconnects' && tr.cells[1].textContent === '1'), null,
    { timeout: kNodedown });
    if (failed.length) throw new Error(`requests failed: ${failed.join(', ')}`);
    fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`cluster_page_test: PASS: 4 nodes shown, 3 shown ${shownAfter} ms after ` +
      `the kill (events, no reload); screenshot ${screenshot}`);
  } finally {
    await browser.close();
  }
}

let status = 0;
try {
  await main();
} catch (e) {
  status = 1;
  console.error(`cluster_page_test: FAIL: ${e.message}`);
  for (const child of children) {
    const log = path.join(dir, `${child.label}.log`);
    console.error(`--- ${child.label} ---\n${fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}`);
  }
} finally {
  await stopChildren();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
