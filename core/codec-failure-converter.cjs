// Loaded by path (DataConverter.failureConverterPath) in the worker, the workflow bundle and the client when payload
// encryption is on (core/codec.ts): failure messages and stack traces travel as an encoded payload, so the codec
// encrypts them too. Plain CommonJS because the SDK require()s it and webpack bundles it into workflow code.
const { DefaultFailureConverter } = require('@temporalio/common');
exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
