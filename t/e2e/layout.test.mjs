// The layout on a phone (390 px) and a desktop (1280 px), without
// JavaScript: the header's links on screen, the Departments menu, the
// Filters disclosure, Next and Previous page, the footer's help pages.
import { browserTest, assert, pathOf } from './lib.mjs';

for (const width of [390, 1280]) {
	const phone = width < 800;

	browserTest(`layout without JavaScript at ${width} px: header, menu, filters, pages, footer`, { js: false, timeout: 120000 }, async (page) => {
		await page.setViewportSize({ width, height: phone ? 844 : 900 });
		await page.goto('/');
		const header = page.locator('header');
		// Sign in, Register and Cart are on the screen, not past its edge.
		for (const name of ['Sign in', 'Register', /^Cart/]) {
			const box = await header.getByRole('link', { name }).boundingBox();
			assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${name} is on the screen at ${width} px`);
		}

		// Departments: a closed menu on a phone, a bar on a desktop.
		const departments = page.getByRole('navigation', { name: 'Departments' });
		const electronics = departments.getByRole('link', { name: 'Electronics' });
		assert.equal(await electronics.isVisible(), !phone);
		if (phone)
			await page.locator('header summary').filter({ hasText: 'Departments' }).click();
		await electronics.click();
		await page.waitForURL(/\/c\/electronics$/);

		// Filters: behind a disclosure on a phone, open on a desktop.
		await page.goto('/c/fashion');
		const sort = page.getByLabel('Sort by');
		assert.equal(await sort.isVisible(), !phone);
		if (phone)
			await page.locator('summary').filter({ hasText: 'Filters' }).click();
		await sort.selectOption('price_asc');
		await page.getByRole('button', { name: 'Apply' }).click();
		await page.waitForURL(/sort=price_asc/);

		// Next page, then Previous page back to the first.
		const first = await page.locator('li.card a.card-link').first().getAttribute('href');
		await page.getByRole('link', { name: /Next page/ }).click();
		await page.waitForURL(/cursor=/);
		assert.notEqual(await page.locator('li.card a.card-link').first().getAttribute('href'), first);
		await page.getByRole('link', { name: /Previous page/ }).click();
		await page.waitForURL((u) => !u.search.includes('cursor'));
		assert.equal(pathOf(page), '/c/fashion?sort=price_asc');
		assert.equal(await page.locator('li.card a.card-link').first().getAttribute('href'), first);

		// The footer's help pages.
		for (const [link, heading] of [['Shipping', 'Shipping'], ['Returns and refunds', 'Returns and refunds'],
			['Privacy', 'Privacy'], ['Contact us', 'Contact us']]) {
			await page.getByRole('contentinfo').getByRole('link', { name: link, exact: true }).click();
			await page.getByRole('heading', { level: 1, name: heading }).waitFor();
		}
		assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth),
			'the page does not scroll sideways');
	});
}
