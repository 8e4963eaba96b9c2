// Issue 15, bug 1, as a new visitor does it in Chromium at a phone's width
// (390 px) and a desktop's (1280 px): product page, Add to cart, Back, Add
// to cart again, then the product reopened while the browser still holds
// the anonymous page. The anonymous page carries no token (it may be cached)
// and after the first add the visitor has a session: the browser's
// Sec-Fetch-Site/Origin prove the post is ours, so it is accepted, never
// "Error 403 You cannot do that". Then a form whose token went stale (as
// after signing in elsewhere) is asked again on a page of its own, and one
// click finishes it.
import { browserTest, assert, cartCount, checkA11y, pathOf } from './lib.mjs';

const PRODUCT = '/p/essence-mascara-lash-princess';
const WIDTHS = [390, 1280];

// axe over the whole page at both widths.
async function a11y(page, t, name, width) {
	return checkA11y(page, t, `${name}-${width}`);
}

// The page fits the screen: nothing scrolls sideways.
async function mainFits(page) {
	const fits = await page.evaluate(() => document.scrollingElement.scrollWidth <= innerWidth);
	assert.ok(fits, `the page's content fits ${await page.evaluate(() => innerWidth)} px`);
}

async function addToCart(page) {
	await page.getByRole('button', { name: 'Add to cart' }).click();
	await page.waitForURL(/\/cart$/);
	const body = await page.locator('body').innerText();
	assert.doesNotMatch(body, /You cannot do that|Error 403/);
}

for (const width of WIDTHS) {
	browserTest(`Add, Back, Add again at ${width} px`, async (page, t) => {
		await page.setViewportSize({ width, height: 900 });

		// A new visitor: the product page's form has no token.
		await page.goto(PRODUCT);
		assert.equal(await page.locator('form.add-to-cart input[name=csrf]').count(), 0);
		await addToCart(page);
		assert.equal(await cartCount(page), 1);

		// Back: the page the browser kept, with the same form.
		await page.goBack();
		assert.equal(pathOf(page), PRODUCT);
		await page.getByRole('button', { name: 'Add to cart' }).waitFor();
		await addToCart(page);
		assert.equal(await cartCount(page), 2);
		await a11y(page, t, `cart after back and add at ${width}`, width);

		// The product reopened within the cache time.
		await page.goto(PRODUCT);
		await addToCart(page);
		assert.equal(await cartCount(page), 3);
		const line = page.locator('table.cart-lines tbody tr').filter({ hasText: 'Essence Mascara Lash Princess' });
		assert.equal(await line.count(), 1);
	});

	browserTest(`a stale token is asked again, not refused, at ${width} px`, async (page, t) => {
		await page.setViewportSize({ width, height: 900 });
		await page.goto(PRODUCT);
		await addToCart(page);
		assert.equal(await cartCount(page), 1);

		// The cart page's token goes stale (a session changed in another
		// tab): the "+" button's form now carries an old one.
		await page.locator('form.stepper input[name=csrf], form input[name=csrf]').evaluateAll((inputs) => {
			for (const i of inputs)
				i.value = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
		});
		const plus = page.locator('form').filter({ has: page.locator('input[name=quantity][value="2"]') })
			.getByRole('button').first();
		await plus.click();
		await page.getByRole('heading', { level: 1, name: 'Please confirm' }).waitFor();
		const body = await page.locator('body').innerText();
		assert.doesNotMatch(body, /You cannot do that|Error 403/);
		await a11y(page, t, `asked again at ${width}`, width);
		await mainFits(page);

		await page.getByRole('button', { name: 'Yes, continue' }).click();
		await page.waitForURL(/\/cart$/);
		assert.equal(await cartCount(page), 2);
	});
}
