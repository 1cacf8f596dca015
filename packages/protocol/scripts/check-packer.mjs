// `prepack`: only pnpm applies `publishConfig.exports`. npm and yarn would pack a
// manifest whose exports point at `src/*.ts`, which the tarball does not ship.
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  process.stderr.write(
    `@agent-gateway/protocol: pack it with \`pnpm pack\` (got: ${agent.split(' ')[0] || 'an unknown packer'}). ` +
      'Other packers ignore publishConfig.exports, and their tarball would point at src/ files it does not ship.\n',
  );
  process.exit(1);
}
