// Drives Plugboard's HTTP facade with commercetools' own SDK (@commercetools-connect/sdk) and checks
// every answer against the SDK's TypeScript models, read from its .d.ts files.
//
//   node commercetools_sdk_check.js <sdk package dir> <base url> <api key> <git repository url> <unique>
//
// Prints one JSON object: {"checks": [{"name", "status", "model", "problems": [...]}], "failed": n}.
// Exit status 0 when every answer matches its model exactly, 1 otherwise.
"use strict";

const fs = require("fs");
const path = require("path");

const [sdkDir, baseUri, apiKey, repoUrl, unique] = process.argv.slice(2);
const sdk = require(sdkDir);
const modelsDir = path.join(sdkDir, "dist", "generated", "models");

// --- the models, from the .d.ts files --------------------------------------------------------------

function readModels() {
  const interfaces = {};
  const aliases = {};
  for (const file of ["common.d.ts", "connector.d.ts", "error.d.ts"]) {
    const text = fs.readFileSync(path.join(modelsDir, file), "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
    for (const m of text.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
      const props = {};
      let open = false;
      for (const line of m[2].split("\n")) {
        const prop = line.match(/^\s*readonly (\w+)(\?)?: (.+);\s*$/);
        if (prop) props[prop[1]] = { optional: !!prop[2], type: prop[3].trim() };
        else if (/\[key: string\]: any;/.test(line)) open = true;
      }
      interfaces[m[1]] = { props, open };
    }
    for (const m of text.matchAll(/export type (\w+) = ([^;]+);/g)) {
      aliases[m[1]] = m[2].split("|").map((s) => s.trim());
    }
  }
  return { interfaces, aliases };
}

const MODELS = readModels();
// The SDK types these as plain strings; the seed names their values (the aliases in common.d.ts).
const ENUM_FIELDS = { "ConnectorStaged.status": "ConnectorStatus", "ConnectorStaged.isPreviewable": "IsPreviewable" };
// Fields seed 002's examples show beyond the SDK's models, and the values they may take.
const SEED_FIELDS = { "ConnectorStaged.certified": "boolean", "ConnectorReportEntry.application": "string" };
const NULLABLE = new Set(["ConnectorStaged.publishingReport", "ConnectorStaged.previewableReport"]);
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TIME_FIELDS = new Set(["ConnectorReportEntry.createdAt", "CertificationInfoComment.datetime"]);

function literals(alias) {  // closed: "| string" is the SDK's escape hatch, not a spelling
  return alias.filter((v) => /^['"]/.test(v)).map((v) => v.slice(1, -1));
}

function check(value, type, where, problems) {
  if (type.endsWith("[]")) {
    if (!Array.isArray(value)) return problems.push(`${where}: expected an array, got ${JSON.stringify(value)}`);
    value.forEach((v, i) => check(v, type.slice(0, -2), `${where}[${i}]`, problems));
    return;
  }
  if (type === "any") return;
  if (type === "string" || type === "number" || type === "boolean") {
    if (typeof value !== type) problems.push(`${where}: expected ${type}, got ${JSON.stringify(value)}`);
    if (type === "number" && typeof value === "number" && !Number.isInteger(value)) problems.push(`${where}: not an integer`);
    return;
  }
  if (/^["']/.test(type)) {
    if (value !== type.slice(1, -1)) problems.push(`${where}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  if (MODELS.aliases[type]) {
    const names = MODELS.aliases[type];
    if (names.every((n) => /^['"]|^string$/.test(n))) {
      if (typeof value !== "string") return problems.push(`${where}: expected a string (${type})`);
      const allowed = literals(names);
      const open = ["IntegrationType", "Region"].includes(type);  // open in the seed too
      if (!open && !allowed.includes(value)) problems.push(`${where}: ${JSON.stringify(value)} is not a ${type} (${allowed.join(", ")})`);
      return;
    }
    if (type === "ErrorObject") return checkError(value, where, problems);
    return problems.push(`${where}: cannot check union ${type}`);
  }
  const model = MODELS.interfaces[type];
  if (!model) return problems.push(`${where}: unknown type ${type}`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return problems.push(`${where}: expected a ${type} object, got ${JSON.stringify(value)}`);
  }
  for (const [name, prop] of Object.entries(model.props)) {
    const key = `${type}.${name}`;
    if (!(name in value)) {
      if (!prop.optional) problems.push(`${where}.${name}: missing (required by ${type})`);
      continue;
    }
    const item = value[name];
    if (item === null) {
      if (!NULLABLE.has(key)) problems.push(`${where}.${name}: null`);
      continue;
    }
    if (item === "" && prop.optional) problems.push(`${where}.${name}: an empty-string placeholder`);
    if (ENUM_FIELDS[key]) check(item, ENUM_FIELDS[key], `${where}.${name}`, problems);
    else check(item, prop.type, `${where}.${name}`, problems);
    if (TIME_FIELDS.has(key) && !TIME.test(item)) problems.push(`${where}.${name}: ${item} is not like 2023-08-08T12:20:31.143Z`);
  }
  for (const name of Object.keys(value)) {
    if (name in model.props) continue;
    const seed = SEED_FIELDS[`${type}.${name}`];
    if (seed) check(value[name], seed, `${where}.${name}`, problems);
    else if (!model.open) problems.push(`${where}.${name}: not a field of ${type}`);
  }
}

const ERROR_CODES = {};
for (const name of MODELS.aliases.ErrorObject) {
  const code = MODELS.interfaces[name] && MODELS.interfaces[name].props.code;
  if (code) ERROR_CODES[code.type.slice(1, -1)] = name;
}
// commercetools' HTTP API codes that the Connect SDK's union leaves out (its "General" fallbacks).
const PLATFORM_CODES = ["InvalidInput", "InvalidOperation", "invalid_token", "insufficient_scope", "MethodNotAllowed"];

function checkError(value, where, problems) {
  if (value === null || typeof value !== "object") return problems.push(`${where}: not an error object`);
  const model = ERROR_CODES[value.code];
  if (model) return check(value, model, where, problems);
  if (!PLATFORM_CODES.includes(value.code)) problems.push(`${where}.code: unknown error code ${JSON.stringify(value.code)}`);
  if (typeof value.message !== "string") problems.push(`${where}.message: expected string`);
}

// --- the client -------------------------------------------------------------------------------------

// The transport: fetch, JSON in and out.
async function send(request) {
  const response = await fetch(`${request.baseUri}${request.uri}`, {
    method: request.method, headers: request.headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch (e) { body = { notJson: text.slice(0, 200) }; }
  return { body, statusCode: response.status, headers: Object.fromEntries(response.headers), originalRequest: request };
}

// The API key as a Bearer token, through the SDK's own middleware chain.
function bearer(key) {
  return (request, next) => next({ ...request, headers: { ...(request.headers || {}), Authorization: `Bearer ${key}` } });
}

const api = sdk.createApiClient(sdk.createExecutorFromMiddlewares(send, [bearer(apiKey)]), baseUri);
const anonymous = sdk.createApiClient(sdk.createExecutorFromMiddlewares(send, [bearer("pbk_000000000000_wrong")]), baseUri);
const checks = [];

async function call(name, request, model, status) {
  const response = await request.execute();
  const problems = [];
  if (status && response.statusCode !== status) problems.push(`status ${response.statusCode}, expected ${status}`);
  if (response.statusCode >= 400) {
    check(response.body, "ErrorResponse", "body", problems);
    if (response.body.statusCode !== response.statusCode) problems.push("statusCode differs from the HTTP status");
  } else {
    check(response.body, model, "body", problems);
  }
  checks.push({ name, status: response.statusCode, model: response.statusCode >= 400 ? "ErrorResponse" : model,
                code: response.body && response.body.errors ? response.body.errors[0].code : undefined, problems });
  return response;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(id, done) {  // follows a job through GET, as an SDK client does
  for (let i = 0; i < 300; i++) {
    const got = await api.connectors().drafts().withId({ ID: id }).get().execute();
    if (done(got.body)) return got.body;
    await sleep(100);
  }
  throw new Error(`draft ${id} did not settle`);
}

async function main() {
  const key = `sdk-${unique}`;
  const draftBody = {
    key, name: "SDK connector", description: "Made by commercetools' SDK", integrationTypes: ["other"],
    creator: { name: "John Doe", title: "Mr", email: "john.doe@example.com", company: `sdk-${unique}`, noOfContributors: 3 },
    repository: { url: repoUrl, tag: "v1.0.0" }, supportedRegions: ["europe-west1.gcp"],
    documentationUrl: "https://example.com/docs",
  };
  const drafts = api.connectors().drafts();
  const created = await call("drafts.post", drafts.post({ body: draftBody }), "ConnectorStaged", 201);
  const id = created.body.id;
  await call("drafts.withId.get", drafts.withId({ ID: id }).get(), "ConnectorStaged", 200);
  await call("drafts.withKey.get", drafts.withKey({ key }).get(), "ConnectorStaged", 200);
  await call("drafts.get", drafts.get({ queryArgs: { limit: 5, offset: 0, sort: ["createdAt asc"], isPrivate: true, integrationTypes: ["other"] } }),
             "ConnectorStagedPagedQueryResponse", 200);

  const actions = [
    { action: "setName", name: "SDK connector 2" },
    { action: "setDescription", description: "Changed by the SDK" },
    { action: "setRepository", tag: "v1.0.0" },
    { action: "setSupportedRegions", regions: ["europe-west1.gcp", "us-central1.gcp"] },
    { action: "setDocumentationUrl", documentationUrl: "https://example.com/docs/2" },
    { action: "setIntegrationTypes", integrationTypes: ["other", "psp"] },
    { action: "setCreatorName", creatorName: "Jane Doe" },
    { action: "setCreatorTitle", creatorTitle: "Ms" },
    { action: "setCreatorEmail", creatorEmail: "jane@example.com" },
    { action: "setCreatorCompany", creatorCompany: `sdk-${unique}` },
    { action: "setCreatorNoOfContributors", creatorNoOfContributors: 4 },
    { action: "setCreatorSupportUrl", creatorSupportUrl: "https://example.com/support" },
    { action: "setCreatorLogo", logoUrl: "https://example.com/logo.png" },
    { action: "addPrivateProject", privateProject: "europe-west1.gcp:globex" },
    { action: "removePrivateProject", privateProject: "europe-west1.gcp:globex" },
    { action: "addCertificationComment", comment: "outside certification: refused" },
    { action: "unlist" },
  ];
  let version = created.body.version;
  for (const action of actions) {
    const byKey = action.action.startsWith("setCreator");
    const target = byKey ? drafts.withKey({ key }) : drafts.withId({ ID: id });
    const response = await call(`drafts.${byKey ? "withKey" : "withId"}.post ${action.action}`,
                                target.post({ body: { version, actions: [action] } }), "ConnectorStaged");
    if (response.statusCode === 201) version = response.body.version;
  }
  const preview = await call("drafts.withId.post updatePreviewable",
                             drafts.withId({ ID: id }).post({ body: { version, actions: [{ action: "updatePreviewable" }] } }),
                             "ConnectorStaged", 201);
  let current = await settle(id, (d) => d.isPreviewable !== "pending");
  await call("drafts.withId.get (previewed)", drafts.withId({ ID: id }).get(), "ConnectorStaged", 200);
  await call("drafts.withId.post publish",
             drafts.withId({ ID: id }).post({ body: { version: current.version, actions: [{ action: "publish", certification: false }] } }),
             "ConnectorStaged", 201);
  current = await settle(id, (d) => d.status !== "Processing");
  await call("drafts.withId.get (published)", drafts.withId({ ID: id }).get(), "ConnectorStaged", 200);
  if (current.status !== "Published") checks.push({ name: "publish outcome", status: 0, problems: [`status ${current.status}`] });

  const connectors = api.connectors();
  await call("connectors.withId.get", connectors.withId({ ID: id }).get(), "Connector", 200);
  await call("connectors.withKey.get", connectors.withKey({ key }).get(), "Connector", 200);
  const found = await call("connectors.search.get", connectors.search().get({ queryArgs: {
    text: "sdk", limit: 10, offset: 0, sort: ["name asc"], private: true, "creator.company": `sdk-${unique}`,
    id: [id], key: [key], integrationTypes: ["other"] } }), "ConnectorSearchPagedQueryResponse", 200);
  if (found.body.total !== 1) checks.push({ name: "search finds the connector", status: 0, problems: [`total ${found.body.total}`] });

  // Errors, each in the ErrorResponse shape with its code.
  const expectCode = async (name, request, status, code) => {
    const response = await call(name, request, "ErrorResponse", status);
    const got = response.body.errors && response.body.errors[0].code;
    if (got !== code) checks[checks.length - 1].problems.push(`code ${got}, expected ${code}`);
  };
  await expectCode("error: stale version", drafts.withId({ ID: id }).post({ body: { version: 1, actions: [{ action: "setName", name: "x" }] } }),
                   409, "ConcurrentModification");
  await expectCode("error: duplicate key", drafts.post({ body: draftBody }), 400, "DuplicateField");
  await expectCode("error: missing draft", drafts.withId({ ID: "no-such-draft" }).get(), 404, "ResourceNotFound");
  await expectCode("error: missing connector", connectors.withKey({ key: "no-such-connector" }).get(), 404, "ResourceNotFound");
  await expectCode("error: invalid action value", drafts.withId({ ID: id }).post({ body: { version: current.version, actions: [{ action: "setCreatorNoOfContributors", creatorNoOfContributors: 0 }] } }),
                   400, "InvalidInput");
  await expectCode("error: bad token", anonymous.connectors().search().get(), 401, "invalid_token");

  // Coverage: every member of the SDK's ConnectorUpdateAction union was sent.
  const union = MODELS.aliases.ConnectorUpdateAction.map((n) => MODELS.interfaces[n].props.action.type.slice(1, -1));
  const sent = new Set(checks.map((c) => c.name.split(" ")[1]).filter(Boolean));
  const unsent = union.filter((a) => !sent.has(a));
  if (unsent.length) checks.push({ name: "every ConnectorUpdateAction sent", status: 0, problems: [`not sent: ${unsent}`] });

  const failed = checks.filter((c) => c.problems.length).length;
  process.stdout.write(JSON.stringify({ checks, failed }) + "\n");
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ checks, failed: -1, crash: String(err && err.stack || err) }) + "\n");
  process.exit(2);
});
