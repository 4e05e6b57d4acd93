import { html, trusted } from './html.js';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const payload = `<script>alert(1)</script>" onmouseover="x' &`;
    expect(html`<td title="${payload}">${payload}</td>`.value).toBe(
      '<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39; &amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39; &amp;</td>',
    );
  });

  it('keeps nested templates and arrays of them as markup, and drops null, undefined and false', () => {
    const rows = ['a<b', 'c'].map((name) => html`<li>${name}</li>`);
    expect(html`<ul>${rows}${null}${undefined}${false}${0}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c</li>0</ul>');
    expect(html`${trusted('<br>')}`.value).toBe('<br>');
  });
});
