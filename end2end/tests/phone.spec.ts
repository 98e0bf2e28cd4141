// The console on a phone: at 390×844 (and 360 wide) no page scrolls sideways; wide tables
// scroll inside their own box.
import type { Page } from '@playwright/test';
import { test, expect, hydrated, setUpOwner } from './fixtures';

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

/** How far the page itself is wider than the screen (0 when it fits). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test('every page of the console fits a phone screen without scrolling sideways', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  await page.goto(`${gatehouse.origin}/login`);
  await hydrated(page);
  expect(await overflow(page), '/login').toBe(0);
  await setUpOwner(page, gatehouse);
  const users = page.url();
  const base = users.replace(/\/users$/, '');
  const pages = [users, `${base}/logs`, `${base}/settings`, `${base}/oidc-clients`, `${base}/keys`, `${base}/webhooks`, `${gatehouse.origin}/account`, `${gatehouse.origin}/`];
  for (const width of [390, 360]) {
    await page.setViewportSize({ width, height: 800 });
    for (const path of pages) {
      await page.goto(path);
      await hydrated(page);
      expect(await overflow(page), `${path} at ${width} px`).toBe(0);
    }
  }
  await page.setViewportSize({ width: 390, height: 844 });
  // Controls are big enough for a thumb.
  await page.goto(users);
  await hydrated(page);
  const small = await page.evaluate(() =>
    Array.from(document.querySelectorAll('main button, main select, main input:not([type=checkbox]):not([type=radio])'))
      .map((el) => [el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.id, el.getBoundingClientRect().height] as const)
      .filter(([, height]) => height > 0 && height < 44),
  );
  expect(small, 'controls under 44 px high').toEqual([]);
  // The invite dialog fits too.
  await page.getByRole('button', { name: 'Invite external users' }).click();
  expect(await overflow(page), 'invite dialog').toBe(0);
});
