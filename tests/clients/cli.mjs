// The command line both client scripts take: "--name value" pairs, each
// name one the script knows (flags maps a flag to its key and an optional
// converter), the required ones checked. Errors print the usage and exit 2.

export function parseArgs(script, usageLine, flags, defaults, required) {
  const usage = (msg) => {
    console.error(`${script}: ${msg}`);
    console.error(`usage: ${usageLine}`);
    process.exit(2);
  };
  const opts = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) usage(`${flag} needs a value`);
    const f = flags[flag];
    if (!f) usage(`unknown option ${flag}`);
    opts[f.key] = f.convert ? f.convert(value) : value;
  }
  for (const key of required)
    if (opts[key] === undefined) usage(`--${key} is required`);
  return { opts, usage };
}

export const trimSlash = (v) => v.replace(/\/$/, '');
