import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make bench` only: the timed hydration (S5), one test at a time so nothing else competes for
// the CPU while it is measured.
export default defineConfig({
  ...base,
  testDir: './bench',
  workers: 1,
  fullyParallel: false,
});
