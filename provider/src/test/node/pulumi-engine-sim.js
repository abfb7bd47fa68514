// An independent Pulumi engine simulator: drives pulumi-resource-arbor through the JavaScript gRPC stubs
// that ship in npm @pulumi/pulumi (proto/provider_grpc_pb.js) over @grpc/grpc-js, the client code the Pulumi
// Node.js SDK itself uses. Usage:
//   node pulumi-engine-sim.js <node_modules dir> <plugin executable> <project id>
// Env: ARBOR_API_URL, ARBOR_API_KEY (passed to Configure, the key as a secret).
// Prints "CREATED <id>" and "UPDATED <id>" and waits for a line on stdin after each, so the caller can check
// the Arbor server between steps; "DONE" at the end. Any failed expectation exits non-zero.
'use strict';
const path = require('path');
const { createRequire } = require('module');
const { spawn } = require('child_process');
const readline = require('readline');

const [modulesDir, plugin, projectId] = process.argv.slice(2);
if (!modulesDir || !plugin || !projectId) {
  console.error('usage: pulumi-engine-sim.js <node_modules dir> <plugin> <project id>');
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(modulesDir), '@pulumi/pulumi/proto/provider_pb.js'));
const grpc = req('@grpc/grpc-js');
const services = req('./provider_grpc_pb.js');
const pb = req('./provider_pb.js');
const { Struct } = req('google-protobuf/google/protobuf/struct_pb.js');
const { Empty } = req('google-protobuf/google/protobuf/empty_pb.js');

const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
const SIG = '4dabf18193072939515e22adb298388d';
const SECRET = '1b47061264138c4ac30d75fd1eb44270';
const TYPE = 'arbor:index:Branch';
const URN = `urn:pulumi:dev::sim::${TYPE}::b`;

function expect(cond, what) {
  if (!cond) {
    throw new Error('expectation failed: ' + what);
  }
  console.log('ok  ' + what);
}

const lines = readline.createInterface({ input: process.stdin });
const pending = [];
const early = [];
lines.on('line', (l) => { const r = pending.shift(); if (r) r(l); else early.push(l); });
const nextLine = () => new Promise((resolve) => (early.length ? resolve(early.shift()) : pending.push(resolve)));

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + 300000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function startPlugin() {
  // The engine passes its own address; this simulator serves no engine callbacks.
  const child = spawn(plugin, ['127.0.0.1:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error('plugin exited before printing its port: ' + code)));
    // unref: a pending timer would keep node alive for the full 120 s after the run is done
    setTimeout(() => reject(new Error('no port line within 120 s')), 120000).unref();
  });
  expect(/^\d+$/.test(port), `first stdout line is only a port (${JSON.stringify(port)})`);
  return { child, port: Number(port) };
}

async function main() {
  const { child, port } = await startPlugin();
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const info = await call(client, 'getPluginInfo', new Empty());
    expect(info.getVersion() === '0.1.0', 'GetPluginInfo version 0.1.0');

    const schema = JSON.parse((await call(client, 'getSchema', new pb.GetSchemaRequest())).getSchema());
    expect(schema.name === 'arbor' && schema.resources[TYPE], 'GetSchema has arbor:index:Branch');
    expect(schema.resources[TYPE].inputProperties.schemaOnly.replaceOnChanges === true, 'schemaOnly replaces on change');
    expect(schema.functions['arbor:index:getBranches'] !== undefined, 'GetSchema has getBranches');

    const args = Struct.fromJavaScript({
      apiUrl: process.env.ARBOR_API_URL,
      apiKey: { [SIG]: SECRET, value: process.env.ARBOR_API_KEY },
    });
    const conf = await call(client, 'configure', new pb.ConfigureRequest().setArgs(args).setAcceptsecrets(true));
    expect(conf.getAcceptsecrets() && conf.getSupportspreview(), 'Configure accepts secrets and previews');

    const name = 'pulumi-node-' + Date.now().toString(36);
    const check = await call(client, 'check', new pb.CheckRequest().setUrn(URN).setType(TYPE)
      .setNews(Struct.fromJavaScript({ projectId, name })));
    expect(check.getFailuresList().length === 0, 'Check passes');
    const inputs = check.getInputs().toJavaScript();
    expect(inputs.schemaOnly === false && inputs.protected === false, 'Check fills in defaults');

    const preview = await call(client, 'create', new pb.CreateRequest().setUrn(URN).setType(TYPE)
      .setProperties(check.getInputs()).setPreview(true));
    const pp = preview.getProperties().toJavaScript();
    expect(preview.getId() === '' && pp.createdAt === UNKNOWN && pp.name === name, 'Create(preview) returns unknowns');

    const created = await call(client, 'create', new pb.CreateRequest().setUrn(URN).setType(TYPE)
      .setProperties(check.getInputs()).setTimeout(300));
    const id = created.getId();
    const outs = created.getProperties().toJavaScript();
    expect(id.startsWith('br-') && outs.name === name && outs.projectId === projectId, 'Create made ' + id);
    console.log('CREATED ' + id);
    await nextLine();

    const read = await call(client, 'read', new pb.ReadRequest().setId(id).setUrn(URN).setType(TYPE)
      .setProperties(created.getProperties()).setInputs(check.getInputs()));
    expect(read.getId() === id && read.getProperties().toJavaScript().name === name, 'Read finds the branch');

    const replace = await call(client, 'diff', new pb.DiffRequest().setId(id).setUrn(URN).setType(TYPE)
      .setOlds(created.getProperties()).setNews(Struct.fromJavaScript({ ...inputs, schemaOnly: true })));
    expect(replace.getReplacesList().join() === 'schemaOnly' && replace.getChanges() === 2, 'Diff: schemaOnly replaces');

    const renamed = name + '-b';
    const news = Struct.fromJavaScript({ ...inputs, name: renamed });
    const inPlace = await call(client, 'diff', new pb.DiffRequest().setId(id).setUrn(URN).setType(TYPE)
      .setOlds(created.getProperties()).setNews(news));
    expect(inPlace.getReplacesList().length === 0 && inPlace.getDiffsList().join() === 'name', 'Diff: rename in place');

    const updated = await call(client, 'update', new pb.UpdateRequest().setId(id).setUrn(URN).setType(TYPE)
      .setOlds(created.getProperties()).setNews(news).setTimeout(300));
    expect(updated.getProperties().toJavaScript().name === renamed, 'Update renamed the branch');
    console.log('UPDATED ' + id);
    await nextLine();

    await call(client, 'delete', new pb.DeleteRequest().setId(id).setUrn(URN).setType(TYPE)
      .setProperties(updated.getProperties()));
    const gone = await call(client, 'read', new pb.ReadRequest().setId(id).setUrn(URN).setType(TYPE)
      .setProperties(updated.getProperties()));
    expect(gone.getId() === '', 'Read after Delete: gone (empty id)');
    console.log('DONE');
  } finally {
    client.close();
    child.kill('SIGTERM');
    lines.close();
  }
}

main().catch((e) => {
  console.error('pulumi-engine-sim: ' + (e.stack || e));
  process.exit(1);
});
