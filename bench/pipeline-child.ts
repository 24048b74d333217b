// Runs the stream.pipeline baseline in a process of its own (see PipelineProcess
// in baselines.ts): copies on request over IPC, each timed here.
import { copyWithPipeline } from './baselines.js';

interface Request {
  source: string;
  destination: string;
}

process.on('message', (request: Request) => {
  copyWithPipeline(request.source, request.destination).then(
    (ms) => process.send?.({ ms }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
