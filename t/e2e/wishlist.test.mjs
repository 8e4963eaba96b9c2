// Wishlists (issue 17) in Chromium at a phone's width (390 px) and a
// desktop's (1280 px): a new visitor saves from the product page (the
// anonymous page's form carries no token), sees the list as a guest,
// registers (the list joins the account), shares it and opens the shared
// page, then "Save for later" in the cart and "Move to cart" back. axe and
// "nothing scrolls sideways" on each of the new pages (axe only where the
// markup differs: it takes seconds a page).
import { browserTest, assert, checkA11y, freshEmail, registerWithForm } from './lib.mjs';

const PRODUCT = '/p/essence-mascara-lash-princess';
const TITLE = 'Essence Mascara Lash Princess';
const WIDTHS = [390, 1280];

async function fits(page) {
	const ok = await page.evaluate(() => document.scrollingElement.scrollWidth <= innerWidth);
	assert.ok(ok, `${page.url()} fits ${await page.evaluate(() => innerWidth)} px`);
}

async function check(page, t, name) {
	await checkA11y(page, t, name);
	await fits(page);
}

for (const width of WIDTHS) {
	browserTest(`save, register, share, save for later at ${width} px`, async (page, t) => {
		await page.setViewportSize({ width, height: 900 });

		// A new visitor saves from the product page.
		await page.goto(PRODUCT);
		await page.getByRole('button', { name: 'Save for later' }).click();
		await page.waitForURL(/\/p\/essence-mascara-lash-princess/);
		await page.locator('.saved-note').waitFor();
		await fits(page);	// axe on the product page: a11y.test.mjs

		// The guest's list.
		await page.locator('header').getByRole('link', { name: 'Saved' }).click();
		await page.getByRole('heading', { level: 1, name: 'Saved items' }).waitFor();
		await page.getByRole('link', { name: TITLE }).first().waitFor();
		await fits(page);	// axe: the same page signed in, below

		// Registration takes the list along.
		await registerWithForm(page, { name: 'Wendy Wish', email: freshEmail('wish') });
		await page.goto('/wishlist');
		await page.getByRole('link', { name: TITLE }).first().waitFor();
		await check(page, t, `list at ${width}`);

		// Shared by link: read-only, no owner.
		await page.getByRole('button', { name: 'Share this list by link' }).click();
		const link = await page.locator('input.wl-link').inputValue();
		assert.match(link, /\/lists\/[A-Za-z0-9_-]{43}$/);
		await page.goto(new URL(link).pathname);
		await page.getByRole('link', { name: TITLE }).first().waitFor();
		assert.equal(await page.locator('main form, #main form').count(), 0);
		assert.doesNotMatch(await page.locator('main, #main').first().innerText(), /Wendy|example\.com/);
		await check(page, t, `shared list at ${width}`);

		// Move to cart, then Save for later and back.
		await page.goto('/wishlist');
		await page.getByRole('button', { name: 'Move to cart' }).first().click();
		await page.waitForURL(/\/wishlist$/);
		await page.goto('/cart');
		await page.getByRole('button', { name: /^Save for later/ }).first().click();
		await page.waitForURL(/\/cart$/);
		await page.getByRole('heading', { level: 2, name: 'Saved for later' }).waitFor();
		await check(page, t, `cart with saved for later at ${width}`);
		await page.locator('.saved-later').getByRole('button', { name: 'Move to cart' }).first().click();
		await page.waitForURL(/\/cart$/);
		await page.locator('table.cart-lines').getByRole('link', { name: TITLE }).waitFor();
	});
}
