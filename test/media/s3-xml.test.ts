import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ListPage, parseListObjectsV2, parseS3ErrorCode } from '../../src/media/s3-xml.ts';

// The example from the ListObjectsV2 API reference, as AWS sends it (pretty-printed, with extras).
const AWS_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>205</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
    <Contents>
        <Key>photos/2006/January &amp; February/sample.jpg</Key>
        <LastModified>2009-10-12T17:50:31.000Z</LastModified>
        <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd</DisplayName></Owner>
    </Contents>
</ListBucketResult>`;

describe('parseListObjectsV2', () => {
  it("reads AWS's documented example", () => {
    assert.deepEqual(parseListObjectsV2(AWS_EXAMPLE), {
      objects: [
        { key: 'my-image.jpg', lastModified: Date.UTC(2009, 9, 12, 17, 50, 30) },
        { key: 'photos/2006/January & February/sample.jpg', lastModified: Date.UTC(2009, 9, 12, 17, 50, 31) },
      ],
      isTruncated: false,
      nextContinuationToken: undefined,
    });
  });

  it('reads a truncated page with its token, and an empty bucket', () => {
    const page = parseListObjectsV2(
      '<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>' +
        '<Contents><Key>a</Key><LastModified>2024-01-02T03:04:05Z</LastModified></Contents></ListBucketResult>',
    );
    assert.equal(page?.isTruncated, true);
    assert.equal(page?.nextContinuationToken, '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=');
    assert.deepEqual(parseListObjectsV2('<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>')?.objects, []);
  });

  it('refuses what is not a complete, well-formed page', () => {
    const contents = '<Contents><Key>a</Key><LastModified>2024-01-02T03:04:05Z</LastModified></Contents>';
    for (const xml of [
      '',
      'not xml',
      '<Error><Code>AccessDenied</Code></Error>',
      `<ListBucketResult>${contents}`, // cut off
      `<ListBucketResult>${contents}</ListBucketResult><ListBucketResult></ListBucketResult>trailing`,
      '<ListBucketResult><Contents><LastModified>2024-01-02T03:04:05Z</LastModified></Contents></ListBucketResult>',
      '<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday</LastModified></Contents></ListBucketResult>',
      '<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>',
      `<ListBucketResult><IsTruncated>maybe</IsTruncated>${contents}</ListBucketResult>`,
      // An element left open inside a closed root.
      `<ListBucketResult>${contents}<Contents><Key>b</Key></ListBucketResult>`,
      // Truncated without a token: following it would end early or loop.
      `<ListBucketResult><IsTruncated>true</IsTruncated>${contents}</ListBucketResult>`,
    ]) {
      assert.equal(parseListObjectsV2(xml), undefined, xml);
    }
  });

  it('reads back any page however it is written (property)', () => {
    fc.assert(
      fc.property(page(), style(), (model, how) => {
        assert.deepEqual(parseListObjectsV2(serialize(model, how)), model);
      }),
      { numRuns: 300 },
    );
  });

  it('never takes a cut-off page for a shorter one (property)', () => {
    fc.assert(
      fc.property(page(), style(), fc.double({ min: 0, max: 1, noNaN: true }), (model, how, at) => {
        const xml = serialize(model, how);
        const end = xml.lastIndexOf('</ListBucketResult');
        assert.equal(parseListObjectsV2(xml.slice(0, Math.floor(at * end))), undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws, whatever it is given (property)', () => {
    const fragments = fc.constantFrom(
      '<ListBucketResult>',
      '</ListBucketResult>',
      '<Contents>',
      '</Contents>',
      '<Contents/>',
      '<Key>',
      '</Key>',
      '<LastModified>2024-01-02T03:04:05Z</LastModified>',
      '<IsTruncated>true</IsTruncated>',
      '&#xFFFFFF;',
      '&#55296;',
      '<!--',
      '-->',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fragments, fc.string()), { maxLength: 30 }), (parts) => {
        const result = parseListObjectsV2(parts.join(''));
        assert.ok(result === undefined || Array.isArray(result.objects));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseS3ErrorCode', () => {
  it('takes the code only, and only when it looks like one', () => {
    assert.equal(
      parseS3ErrorCode(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>…</Message>' +
          '<AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256…</StringToSign></Error>',
      ),
      'SignatureDoesNotMatch',
    );
    assert.equal(parseS3ErrorCode('<Error><Code>NoSuchKey</Code></Error>'), 'NoSuchKey');
    for (const xml of ['', '<html>502 Bad Gateway</html>', '<Error><Code>a secret with spaces</Code></Error>']) {
      assert.equal(parseS3ErrorCode(xml), undefined, xml);
    }
  });
});

/** XML-legal characters: S3 escapes the rest, and some keys are nothing but markup characters. */
const keyChar = fc.oneof(
  fc.constantFrom('<', '>', '&', '"', "'", ' ', '\t', '\n', '\r', '&amp;', '/', 'é', '头像', '😀'),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 1 })
    .filter((c) => /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD]$/u.test(c)),
);

function page(): fc.Arbitrary<ListPage> {
  // fc.record makes objects without a prototype; the parser's are plain, and deepEqual compares that.
  const object = fc
    .record({
      key: fc.array(keyChar, { minLength: 1, maxLength: 12 }).map((chars) => chars.join('')),
      lastModified: fc.integer({ min: Date.UTC(1990, 0), max: Date.UTC(2200, 0) }).map((ms) => ms - (ms % 1000)),
    })
    .map((o) => ({ ...o }));
  return fc.record({ objects: fc.array(object, { maxLength: 6 }), isTruncated: fc.boolean() }).chain((p) =>
    (p.isTruncated ? fc.stringMatching(/^[A-Za-z0-9+/=]{1,40}$/) : fc.constant(undefined)).map((token) => ({
      objects: p.objects,
      isTruncated: p.isTruncated,
      nextContinuationToken: token,
    })),
  );
}

interface Style {
  pretty: boolean;
  numericRefs: boolean;
  prolog: boolean;
  extras: boolean;
}

function style(): fc.Arbitrary<Style> {
  return fc.record({
    pretty: fc.boolean(),
    numericRefs: fc.boolean(),
    prolog: fc.boolean(),
    extras: fc.boolean(),
  });
}

/** A page as an S3-compatible service might write it: layout, escaping and extra elements vary. */
function serialize(model: ListPage, how: Style): string {
  const nl = how.pretty ? '\n  ' : '';
  const named: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  // A raw CR would be normalized away by XML: S3 sends it as a reference, like the markup characters.
  const escaped = (s: string) =>
    s.replace(/[&<>"'\r]/g, (c) =>
      how.numericRefs ? `&#${c.charCodeAt(0)};` : (named[c] ?? `&#x${c.charCodeAt(0).toString(16)};`),
    );
  const extras = how.extras
    ? `${nl}<ETag>&quot;abc&quot;</ETag>${nl}<Size>3</Size>${nl}<Owner><ID>x</ID><DisplayName/></Owner>${nl}<StorageClass>STANDARD</StorageClass>`
    : '';
  const contents = model.objects
    .map(
      (o) =>
        `${nl}<Contents>${extras}${nl}<Key>${escaped(o.key)}</Key>${nl}<LastModified>${new Date(o.lastModified).toISOString()}</LastModified></Contents >`,
    )
    .join('');
  const token =
    model.nextContinuationToken === undefined
      ? ''
      : `${nl}<NextContinuationToken>${escaped(model.nextContinuationToken)}</NextContinuationToken>`;
  return (
    `${how.prolog ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `${nl}<Name>b</Name>${nl}<Prefix/>${how.extras ? `${nl}<KeyCount>${model.objects.length}</KeyCount>` : ''}` +
    `${nl}<IsTruncated>${model.isTruncated}</IsTruncated>${token}${contents}${how.pretty ? '\n' : ''}</ListBucketResult>\n`
  );
}
