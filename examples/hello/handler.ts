import { defineFunction } from '@fnkit/sdk';

interface Greeting {
  name?: string;
}

/** Says hello. Try: curl localhost:8080  or  curl -d '{"name":"Ada"}' -H 'content-type: application/json' localhost:8080 */
export default defineFunction<Greeting>(async (event, context) => {
  const name = event.data?.name ?? 'world';
  context.log.info({ name }, 'greeting');
  return { hello: name, function: context.functionName, trigger: event.trigger.kind };
});
