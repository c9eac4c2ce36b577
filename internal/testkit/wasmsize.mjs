// Where a Go WebAssembly module's bytes go: its sections, and its code by Go package, read from
// the function names of the wasm "name" section (a build without -ldflags=-s keeps it; the
// stripped build has the same code). Used by bench/relay.mjs and the relay's size test (test/relay/size.test.mjs).

// section ids of the WebAssembly binary format
const CUSTOM = 0;
const IMPORT = 2;
const CODE = 10;
const DATA = 11;

class Reader {
  constructor(buf, at = 0, end = buf.length) { this.buf = buf; this.at = at; this.end = end; }
  byte() { return this.buf[this.at++]; }
  u32() {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }
  string() {
    const n = this.u32();
    const s = new TextDecoder().decode(this.buf.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  skip(n) { this.at += n; }
}

// sections lists the module's sections: {id, name (custom sections), start, end} (content bounds).
export function sections(buf) {
  const r = new Reader(buf, 8); // magic and version
  const out = [];
  while (r.at < buf.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.at;
    let name;
    if (id === CUSTOM) name = new Reader(buf, start).string();
    out.push({ id, name, start, end: start + size });
    r.at = start + size;
  }
  return out;
}

// importedFunctions counts the function imports, which take the first function indices.
function importedFunctions(buf, section) {
  const r = new Reader(buf, section.start, section.end);
  let funcs = 0;
  for (let n = r.u32(); n > 0; n--) {
    r.string();
    r.string();
    const kind = r.byte();
    if (kind === 0) { funcs++; r.u32(); } // func: type index
    else if (kind === 1) { r.byte(); limits(r); } // table: element type, limits
    else if (kind === 2) limits(r); // memory
    else if (kind === 3) { r.byte(); r.byte(); } // global: type, mutability
    else throw new Error(`import kind ${kind} is not known`);
  }
  return funcs;
}

function limits(r) {
  const flags = r.byte();
  r.u32();
  if (flags & 1) r.u32();
}

// functionNames reads the name section's function names: Map index → name.
function functionNames(buf, section) {
  const r = new Reader(buf, section.start, section.end);
  r.string(); // "name"
  const names = new Map();
  while (r.at < section.end) {
    const sub = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (sub === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const index = r.u32();
        names.set(index, r.string());
      }
    }
    r.at = end;
  }
  return names;
}

// packageOf is the Go package a function name of the name section belongs to. Go writes a
// package path with "_" for "/" and "-" (net_http.(*Transport).RoundTrip, github.com_x_y.F), so
// the package runs to the first "." past a leading domain, and "_" reads back as "/": right for
// the standard library; module is this module's path, given back as "./" for its own packages.
export function packageOf(name, module = '') {
  const n = name.replace(/^(type_\.(eq|hash)\.|go_)/, '');
  const domain = /^(vendor_)?[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|net|io|dev|in)_/.exec(n);
  const dot = n.indexOf('.', domain ? domain[0].length : 0);
  const pkg = dot < 0 ? n : n.slice(0, dot);
  const own = module.replace(/[/-]/g, '_');
  if (own && (pkg === own || pkg.startsWith(own + '_'))) return '.' + pkg.slice(own.length).replace(/_/g, '/') || '.';
  return pkg.replace(/_/g, '/');
}

// functionSizes lists each defined function with its code size: [{name, bytes}]. Without a name
// section the names are "func<index>".
export function functionSizes(buf) {
  const all = sections(buf);
  const imports = all.find((s) => s.id === IMPORT);
  const code = all.find((s) => s.id === CODE);
  const nameSection = all.find((s) => s.id === CUSTOM && s.name === 'name');
  if (!code) throw new Error('the module has no code section');
  const first = imports ? importedFunctions(buf, imports) : 0;
  const names = nameSection ? functionNames(buf, nameSection) : new Map();
  const r = new Reader(buf, code.start, code.end);
  const out = [];
  for (let i = 0, n = r.u32(); i < n; i++) {
    const size = r.u32();
    out.push({ name: names.get(first + i) ?? `func${first + i}`, bytes: size });
    r.skip(size);
  }
  return out;
}

// attribution sums a module's bytes: {total, code, data, other, packages: [{name, bytes}] largest
// first (code bytes; Go's name section names functions only), named: whether it had a name section}.
export function attribution(buf, module = '') {
  const all = sections(buf);
  const size = (id) => all.filter((s) => s.id === id).reduce((n, s) => n + s.end - s.start, 0);
  const byPackage = new Map();
  for (const f of functionSizes(buf)) {
    const p = packageOf(f.name, module);
    byPackage.set(p, (byPackage.get(p) ?? 0) + f.bytes);
  }
  const code = size(CODE);
  const data = size(DATA);
  return {
    total: buf.length,
    code,
    data,
    other: buf.length - code - data,
    named: all.some((s) => s.id === CUSTOM && s.name === 'name'),
    packages: [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes)
  };
}

// linked reports the functions whose names match re, for guards such as "no http.Transport".
export function linked(buf, re) {
  return functionSizes(buf).filter((f) => re.test(f.name)).map((f) => f.name);
}
