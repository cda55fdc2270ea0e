import type { Reporter, TestModule } from 'vitest/node';
import { DATASETS_GROUP, DATASETS_HINT } from './helpers/paths';

/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") and
 * lists every skipped test by name: skip reasons live in the test titles. The tests on the public
 * data sets (titles tagged [public-datasets]) are one group: when skipped they are one line that
 * says why and how to run them.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    let groupSkipped = 0;
    for (const mod of testModules) {
      for (const t of mod.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (t.fullName.includes(DATASETS_GROUP)) groupSkipped++;
        else skipped.push(`${mod.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`);
      }
    }
    if (skipped.length) {
      console.log('\nSkipped tests (reason in the title):');
      for (const s of skipped) console.log(`  - ${s}`);
    }
    if (groupSkipped) console.log(`\n${DATASETS_HINT} (${groupSkipped} tests)`);
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length + groupSkipped} skipped`);
  }
}
