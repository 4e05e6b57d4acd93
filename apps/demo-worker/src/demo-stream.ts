export const DEMO_STREAM = 'demo.jobs';
export const DEMO_GROUP = 'demo-workers';

export interface DemoJob {
  id: number;
  workMs?: number;
  poison?: boolean;
}
