// Preloaded (NODE_OPTIONS=--import=…) by a test: a runtime whose sandbox refuses to replace the
// process image, as seccomp profiles that deny execve do. Defined on runtimes without execve too.
process.execve = () => {
  throw Object.assign(new Error('execve refused by this test'), { code: 'EPERM' });
};
