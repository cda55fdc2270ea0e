import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") and
 * lists every skipped test by name: skip reasons live in the test titles.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const mod of testModules) {
      for (const t of mod.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(`${mod.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`);
      }
    }
    if (skipped.length) {
      console.log('\nSkipped tests (reason in the title):');
      for (const s of skipped) console.log(`  - ${s}`);
    }
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  }
}
