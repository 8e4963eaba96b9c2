// The product page (issue 15): options as named choices (Size, Color), the
// headline price that follows the chosen option ("From $15.00" until one is
// chosen), a delivery estimate beside Add to cart, and the chosen option in
// the cart; at 390 px (a phone) and 1280 px, with JavaScript (the buy box
// is swapped in place) and without (each choice is a link to the page for
// that SKU). axe at both widths, and no page scrolls sideways.
import AxeBuilderModule from '@axe-core/playwright';
import {
	browserTest, assert, api, cartCount, createItemWithApi, signInAsNewSeller,
} from './lib.mjs';

const AxeBuilder = AxeBuilderModule.default ?? AxeBuilderModule;

// axe over the whole page: no serious or critical problem.
async function checkMainA11y(page, what) {
	const r = await new AxeBuilder({ page }).analyze();
	const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
	assert.deepEqual(bad, [], `axe on ${what}`);
}

const WIDTHS = [390, 1280];

// A seller's tee with two sizes at two prices and a sold-out colour, made
// once over the API in a fresh browser; answers { url, code(suffix) }.
let teePromise = null;
function tee(newPage) {
	if (!teePromise) {
		teePromise = (async () => {
			const page = await newPage();
			await signInAsNewSeller(page, 'Tess Tees');
			const stem = `E2ETEE${process.pid % 10000}${Date.now() % 100000}`;
			const item = await createItemWithApi(page, {
				name: `Plain Tee ${stem.slice(6)}`,
				skus: [
					{ code: `${stem}-S-RED`, price: 1500, quantity: 5, options: { Size: 'S', Color: 'Red' } },
					{ code: `${stem}-M-RED`, price: 1700, quantity: 5, options: { Size: 'M', Color: 'Red' } },
					{ code: `${stem}-M-BLU`, price: 1700, quantity: 0, options: { Size: 'M', Color: 'Blue' } },
				],
			});
			await page.context().close();
			return { url: item.url, title: item.name, code: (s) => `${stem}-${s}` };
		})();
	}
	return teePromise;
}

// Nothing on the page scrolls sideways.
async function noSidewaysScroll(page, what) {
	const [width, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
	assert.ok(width <= iw, `${what} is ${width} px wide in a ${iw} px window`);
}

const price = (page) => page.locator('#price');
const itemId = (page) => page.locator('form.add-to-cart input[name=itemId]');

for (const js of [true, false]) {
	for (const width of WIDTHS) {
		browserTest(`choose an option, the price follows, add to cart (${width} px, ${js ? 'JavaScript' : 'no JavaScript'})`,
			{ js, timeout: 180000 }, async (page, _t, { newPage }) => {
				const item = await tee(newPage);
				await page.setViewportSize({ width, height: 900 });
				await page.goto(item.url);
				await page.getByRole('heading', { level: 1, name: item.title }).waitFor();

				// Before a choice: "From" the cheapest, which is the one chosen.
				assert.equal((await price(page).innerText()).replace(/\s+/g, ' ').trim(), 'From $15.00');
				assert.equal(await itemId(page).inputValue(), item.code('S-RED'));
				// Named choices, not a table of SKU codes.
				assert.equal(await page.locator('table.skus').count(), 0);
				assert.equal(await page.getByText(item.code('S-RED')).count(), 0, 'no SKU code shown');
				const sizes = page.getByRole('list', { name: 'Size' }).getByRole('link');
				assert.deepEqual((await sizes.allInnerTexts()).map((s) => s.trim()), ['S', 'M']);
				// The delivery estimate beside Add to cart.
				await page.locator('.delivery').getByText(/business days?/).first().waitFor();
				await page.getByRole('button', { name: 'Add to cart' }).waitFor();
				await noSidewaysScroll(page, `the product page at ${width} px`);
				if (js)	/* axe runs in the page: the same HTML either way */
					await checkMainA11y(page, `the product page at ${width} px`);

				// Choose M: the headline price is M's.
				await sizes.filter({ hasText: /^M$/ }).click();
				await price(page).filter({ hasText: /^\$17\.00$/ }).waitFor();
				assert.match(page.url(), new RegExp(`\\?sku=${item.code('M-RED')}$`));
				assert.equal(await itemId(page).inputValue(), item.code('M-RED'));
				await page.getByText('Size: M').waitFor();
				await noSidewaysScroll(page, `the product page at ${width} px after a choice`);
				if (js)
					await checkMainA11y(page, `the product page at ${width} px after a choice`);

				// The sold-out colour says so and offers no Add to cart.
				await page.getByRole('list', { name: 'Color' }).getByRole('link', { name: /Blue/ }).click();
				await page.getByText('This option is unavailable.').waitFor();
				assert.equal(await page.getByRole('button', { name: 'Add to cart' }).count(), 0);
				// Back to red, and into the cart.
				await page.getByRole('list', { name: 'Color' }).getByRole('link', { name: /Red/ }).click();
				// Blue's box had no Add to cart and the same price: wait for
				// Red's box itself, not for a price both show.
				await page.getByRole('button', { name: 'Add to cart' }).waitFor();
				await price(page).filter({ hasText: /^\$17\.00$/ }).waitFor();
				assert.equal(await itemId(page).inputValue(), item.code('M-RED'));
				await page.getByRole('button', { name: 'Add to cart' }).click();
				await page.waitForURL(/\/cart/);
				assert.equal(await cartCount(page), 1);
				const cart = await api(page, 'GET', '/api/cart');
				assert.deepEqual(cart.items.map((i) => [i.itemId ?? i.sku, i.quantity]), [[item.code('M-RED'), 1]]);
			});
	}
}
