export const DEMO_STREAM = 'demo.jobs';
export const DEMO_GROUP = 'demo-workers';

export interface DemoJob {
  id: number;
  workMs?: number;
  poison?: boolean;
  /** A long job: `steps` pieces of `workMs` each, reporting its progress after each piece. */
  steps?: number;
}
