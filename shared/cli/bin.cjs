#!/usr/bin/env node
// `npx migctl`: runs the TypeScript CLI through tsx (a dev dependency of this repository).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
const { run, processIo } = require('./main.ts');
run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
    // stdin may still be open (a prompt's reader): do not wait for it.
    setImmediate(() => process.exit(code));
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
