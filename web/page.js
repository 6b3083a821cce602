// The cluster page: draws /cluster (this node, its connections, the nodes
// its topologies want) and applies /events (nodeup, nodedown) as they
// come. No framework, nothing fetched from elsewhere.
'use strict';

const kPollMs = 3000;        // counters refresh
const kAfterEventMs = 300;   // re-read /cluster shortly after an event
const kMaxEvents = 100;      // lines kept in the event list
const kStreamRetryMs = 5000; // a new stream after one was refused
const SVG = 'http://www.w3.org/2000/svg';

let cluster = null;  // the last /cluster, with events applied on top
let eventSeq = 0;    // bumped per event: a read begun before one is stale
let refreshTimer = null;

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function cell(row, value) {
  const td = document.createElement('td');
  td.textContent = value;
  row.appendChild(td);
}

function shortName(name) {
  return name.length > 28 ? name.slice(0, 27) + '…' : name;
}

function nodeClass(node) {
  if (!node.connected) return 'node-down';
  return node.hidden ? 'node-hidden' : 'node-up';
}

function drawGraph() {
  const svg = document.getElementById('graph');
  svg.replaceChildren();
  const nodes = cluster.nodes;
  const radius = nodes.length > 1 ? 170 : 120;
  const places = nodes.map((node, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(nodes.length, 1);
    return { node, x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
  });
  for (const p of places) {
    svg.appendChild(el('line', { x1: 0, y1: 0, x2: p.x, y2: p.y,
      class: p.node.connected ? 'edge' : 'edge down' }));
  }
  const drawNode = (x, y, name, cls, title) => {
    const g = el('g', { class: cls, 'data-node': name });
    g.appendChild(el('circle', { cx: x, cy: y, r: cls === 'node-self' ? 22 : 16 }));
    g.appendChild(el('text', { x, y: y + (y < -1 ? -26 : 34) }, shortName(name)));
    g.appendChild(el('title', {}, title));
    svg.appendChild(g);
  };
  drawNode(0, 0, cluster.node, 'node-self', cluster.node + ' (this node)');
  for (const p of places) {
    const n = p.node;
    const title = n.connected
      ? `${n.name}: in ${n.messages_in} msgs / ${n.bytes_in} B, out ${n.messages_out} msgs / ${n.bytes_out} B`
      : `${n.name}: wanted by ${n.topologies.join(', ') || 'no topology'}, not connected`;
    drawNode(p.x, p.y, n.name, nodeClass(n), title);
  }
}

function drawTables() {
  const peers = document.querySelector('#peers tbody');
  peers.replaceChildren();
  for (const n of cluster.nodes) {
    const row = document.createElement('tr');
    row.dataset.node = n.name;
    cell(row, n.name);
    cell(row, n.connected ? (n.hidden ? 'connected (hidden)' : 'connected') : 'not connected');
    for (const key of ['messages_in', 'messages_out', 'bytes_in', 'bytes_out', 'queue_bytes', 'dropped']) {
      cell(row, n.connected ? n[key].toLocaleString() : '–');
    }
    cell(row, n.topologies.join(', '));
    peers.appendChild(row);
  }
  const dist = document.getElementById('dist');
  dist.replaceChildren();
  const d = cluster.dist;
  for (const [label, value] of [['connects (dialled)', d.connects_outgoing],
    ['connects (accepted)', d.connects_incoming], ['connect failures', d.connect_failures],
    ['disconnects', d.disconnects], ['handshake failures', d.handshake_failures],
    ['ready', cluster.ready ? 'yes' : 'no']]) {
    const row = document.createElement('tr');
    cell(row, label);
    cell(row, typeof value === 'number' ? value.toLocaleString() : value);
    dist.appendChild(row);
  }
  const topologies = document.querySelector('#topologies tbody');
  topologies.replaceChildren();
  for (const t of cluster.topologies) {
    const row = document.createElement('tr');
    cell(row, t.name);
    cell(row, t.strategy);
    for (const key of ['desired', 'connects', 'connect_failures', 'disconnects', 'discovery_errors']) {
      cell(row, key === 'desired' ? t.desired.length : t[key]);
    }
    cell(row, t.last_error || '–');
    topologies.appendChild(row);
  }
}

function render() {
  if (!cluster) return;
  document.getElementById('self').textContent = cluster.node;
  const connected = 1 + cluster.nodes.filter((n) => n.connected).length;
  const count = document.getElementById('node-count');
  count.textContent = connected;
  count.dataset.count = connected;
  document.getElementById('wanted-count').textContent =
    cluster.nodes.filter((n) => !n.connected).length;
  drawGraph();
  drawTables();
}

async function refresh() {
  const seq = eventSeq;
  try {
    const response = await fetch('cluster', { cache: 'no-store' });
    if (!response.ok) return;
    const body = await response.json();
    if (seq !== eventSeq) return;  // an event came meanwhile; its own re-read follows
    cluster = body;
    render();
  } catch (e) {
    // The node is down or restarting: keep the last picture; the poll retries.
  }
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, kAfterEventMs);
}

function logEvent(kind, data) {
  const list = document.getElementById('events');
  const item = document.createElement('li');
  item.className = kind;
  const time = new Date().toLocaleTimeString();
  item.textContent = `${time} ${kind} ${data.node}` + (data.reason ? ` (${data.reason})` : '');
  list.prepend(item);
  while (list.children.length > kMaxEvents) list.lastChild.remove();
}

function applyEvent(kind, data) {
  ++eventSeq;
  logEvent(kind, data);
  if (cluster) {
    let node = cluster.nodes.find((n) => n.name === data.node);
    if (kind === 'nodeup') {
      if (!node) {
        node = { name: data.node, topologies: [], messages_in: 0, messages_out: 0, bytes_in: 0,
          bytes_out: 0, queue_bytes: 0, dropped: 0 };
        cluster.nodes.push(node);
        cluster.nodes.sort((a, b) => (a.name < b.name ? -1 : 1));
      }
      node.connected = true;
      node.hidden = data.hidden;
    } else if (node) {
      node.connected = false;
      if (node.topologies.length === 0) cluster.nodes = cluster.nodes.filter((n) => n !== node);
    }
    render();
  }
  refreshSoon();
}

function listen() {
  const state = document.getElementById('stream-state');
  const events = new EventSource('events');
  events.onopen = () => { state.textContent = 'live'; state.className = 'state-live'; };
  events.onerror = () => {
    state.textContent = 'reconnecting';
    state.className = 'state-down';
    // The browser retries a broken stream by itself, but gives up on an
    // answer other than 200 (503: the node's streams are all taken).
    if (events.readyState === EventSource.CLOSED) setTimeout(listen, kStreamRetryMs);
  };
  for (const kind of ['nodeup', 'nodedown']) {
    events.addEventListener(kind, (e) => applyEvent(kind, JSON.parse(e.data)));
  }
}

refresh();
listen();
setInterval(refresh, kPollMs);
