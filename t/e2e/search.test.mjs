// Search as a shopper meets it, on a phone (390 px) and on a desktop
// (1280 px): from the header's box to results that understand the words
// (a synonym, a typo in the suggestions), the box keeping the words, the
// "Filters" disclosure, and the page of a search that finds nothing. Axe at
// both widths.
import { browserTest, assert, checkA11y } from './lib.mjs';

const widths = [390, 1280];

// Axe on the whole page at both widths.
async function a11y(page, t, name, width) {
	return checkA11y(page, t, `${name}-${width}`);
}

// The header's box, whichever role it has: a combobox with JavaScript
// (app.js adds the suggestions), a searchbox without.
function headerBox(page) {
	return page.locator('#search-q');
}

async function searchFromHeader(page, words) {
	const box = headerBox(page);
	await box.fill(words);
	await box.press('Enter');
	await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === words);
}

for (const width of widths) {
	browserTest(`search from the header at ${width} px: a synonym, the box keeps the words, filters`, async (page, t) => {
		await page.setViewportSize({ width, height: 900 });
		await page.goto('/');
		await searchFromHeader(page, 'phone');
		// "phone" finds the smartphones (a synonym, stemmed like them).
		await page.getByRole('heading', { level: 1, name: /Results for “phone”/ }).waitFor();
		const titles = await page.locator('li.card .card-title').allTextContents();
		assert.ok(titles.some((x) => /iPhone|Galaxy|Oppo|Vivo|Realme/.test(x)), `no smartphone in ${titles.join(', ')}`);
		assert.equal(await headerBox(page).inputValue(), 'phone', 'the header box keeps the words');

		// The facets sit behind "Filters": open beside the results on a
		// desktop, closed above them on a phone until tapped.
		const filters = page.locator('details.filters');
		const facets = page.getByRole('navigation', { name: 'Refine' });
		assert.equal(await filters.count(), 1);
		if (width < 761) {
			assert.equal(await filters.evaluate((d) => d.open), false, 'filters start closed on a phone');
			assert.equal(await facets.isVisible(), false);
			await page.locator('details.filters > summary').click();
		}
		assert.equal(await filters.evaluate((d) => d.open), true);
		await facets.waitFor();
		// No facet choice that finds nothing.
		for (const n of await facets.locator('.muted').allTextContents())
			assert.notEqual(n.trim(), '(0)', 'a facet choice with no products');
		await a11y(page, t, `search ${width}`, width);

		// A category from the facets keeps the words, in the box as well.
		await facets.getByRole('link', { name: /^Smartphones/ }).click();
		await page.waitForURL(/category=smartphones/);
		assert.equal(await headerBox(page).inputValue(), 'phone');
		await page.getByText('Category: Smartphones').waitFor();

		// Several words no product has together: the best partial
		// matches, and the page says so.
		await searchFromHeader(page, 'iphone charger cable');
		await page.getByText('No products match all of “iphone charger cable”').waitFor();
		await page.locator('li.card .card-title', { hasText: 'Apple iPhone Charger' }).waitFor();
		assert.equal(await headerBox(page).inputValue(), 'iphone charger cable');
	});

	browserTest(`a typo in the suggestions at ${width} px`, async (page) => {
		await page.setViewportSize({ width, height: 900 });
		await page.goto('/');
		const box = page.getByRole('combobox', { name: 'Search products' });
		const answered = page.waitForResponse((r) => r.url().includes('/api/suggest?q=iphn'));
		await box.fill('iphn');
		await answered;
		const option = page.getByRole('listbox').getByRole('option', { name: 'iphone', exact: true });
		await option.click();
		await page.waitForURL(/\/search\?q=iphone$/);
		assert.ok(await page.locator('li.card').count() > 0);
		assert.equal(await headerBox(page).inputValue(), 'iphone');
	});

	browserTest(`no results at ${width} px: corrections, departments, top-rated products`, async (page, t) => {
		await page.setViewportSize({ width, height: 900 });
		await page.goto('/');
		await searchFromHeader(page, 'xqzzvq');
		await page.getByText('No products match “xqzzvq”').waitFor();
		assert.equal(await headerBox(page).inputValue(), 'xqzzvq');
		await page.getByRole('heading', { level: 2, name: 'Departments' }).waitFor();
		await page.getByRole('heading', { level: 2, name: 'Top-rated products' }).waitFor();
		assert.ok(await page.locator('ul.popular li.card').count() > 0, 'top-rated products are shown');
		await a11y(page, t, `search without results ${width}`, width);

		// Another spelling that finds something, with a filter kept.
		await page.goto('/search?q=cas&category=electronics');
		await page.getByRole('heading', { level: 2, name: 'Did you mean' }).waitFor();
		await page.locator('ul.spellings').getByRole('link', { name: 'case' }).click();
		await page.waitForURL(/q=case/);
		assert.ok(await page.locator('li.card').count() > 0);

		// The filters leave nothing: the words without them, one click.
		await page.goto('/search?q=iphone&category=groceries');
		await page.getByRole('link', { name: 'Search “iphone” without the filters' }).click();
		await page.waitForURL((u) => u.pathname === '/search' && u.search === '?q=iphone');
		assert.ok(await page.locator('li.card').count() > 0);

		// A department from the page of nothing.
		await searchFromHeader(page, 'xqzzvq');
		await page.locator('ul.departments a').first().click();
		await page.waitForURL(/\/c\//);
	});
}

browserTest('search without JavaScript keeps the words and opens the filters on a click', { js: false }, async (page) => {
	await page.setViewportSize({ width: 390, height: 900 });
	await page.goto('/');
	await searchFromHeader(page, 'television');
	await page.locator('li.card .card-title', { hasText: 'TV Studio Camera Pedestal' }).waitFor();
	assert.equal(await headerBox(page).inputValue(), 'television');
	await page.locator('details.filters > summary').click();
	await page.getByRole('navigation', { name: 'Refine' }).waitFor();
});
