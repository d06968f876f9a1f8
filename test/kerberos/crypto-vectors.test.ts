/**
 * Published known-answer vectors: RFC 3961 A.1 (n-fold), RFC 3962 Appendix B (string-to-key,
 * AES-CTS), RFC 8009 Appendix A (string-to-key, key derivation, encryption, checksum, PRF),
 * RC4-HMAC (MIT krb5's t_decrypt/t_cksums values, RFC 4757 has none); RC4 itself is tested in test/crypto.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ctsDecrypt, ctsEncrypt } from "../../src/kerberos/crypto/aes-cts.js";
import { KEY_DERIVATION, usageConstant } from "../../src/kerberos/crypto/derive-key.js";
import { kdfHmacSha2 } from "../../src/kerberos/crypto/kdf-hmac-sha2.js";
import { nfold } from "../../src/kerberos/crypto/nfold.js";
import { encryptionType } from "../../src/kerberos/crypto/registry.js";
import { iterationParams } from "../../src/kerberos/crypto/string-to-key-params.js";

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex");
const text = (s: string) => Buffer.from(s, "utf8");
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("RFC 3961 Appendix A.1: n-fold", () => {
  const vectors: Array<[string, number, string]> = [
    ["012345", 64, "be072631276b1955"],
    ["password", 56, "78a07b6caf85fa"],
    ["Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"],
    ["password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"],
    ["MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192, "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"],
    ["Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"],
    ["ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"],
    ["kerberos", 64, "6b65726265726f73"],
    ["kerberos", 128, "6b65726265726f737b9b5b2b93132b93"],
    ["kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"],
    ["kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"],
  ];
  for (const [input, bits, expected] of vectors)
    test(`${bits}-fold("${input}")`, () => assert.equal(toHex(nfold(text(input), bits / 8)), expected));
});

describe("RFC 3962 Appendix B: AES string-to-key", () => {
  const vectors: Array<[number, string, Buffer, string, string]> = [
    [
      1,
      "password",
      text("ATHENA.MIT.EDUraeburn"),
      "42263c6e89f4fc28b8df68ee09799f15",
      "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
    ],
    [
      2,
      "password",
      text("ATHENA.MIT.EDUraeburn"),
      "c651bf29e2300ac27fa469d693bdda13",
      "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff",
    ],
    [
      1200,
      "password",
      text("ATHENA.MIT.EDUraeburn"),
      "4c01cd46d632d01e6dbe230a01ed642a",
      "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a",
    ],
    [
      5,
      "password",
      hex("1234567878563412"),
      "e9b23d52273747dd5c35cb55be619d8e",
      "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31",
    ],
    [
      1200,
      "X".repeat(64),
      text("pass phrase equals block size"),
      "59d1bb789a828b1aa54ef9c2883f69ed",
      "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34",
    ],
    [
      1200,
      "X".repeat(65),
      text("pass phrase exceeds block size"),
      "cb8005dc5f90179a7f02104c0018751d",
      "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b",
    ],
    [
      50,
      "\u{1D11E}",
      text("EXAMPLE.COMpianist"),
      "f149c1f2e154a73452d43e7fe62a56e5",
      "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e",
    ],
  ];
  for (const [iterations, password, salt, aes128, aes256] of vectors) {
    test(`${iterations} iterations, salt ${salt.length} bytes, password ${password.length} chars`, () => {
      assert.equal(
        toHex(encryptionType(17).stringToKey(password, salt, iterationParams(iterations))),
        aes128,
      );
      assert.equal(
        toHex(encryptionType(18).stringToKey(password, salt, iterationParams(iterations))),
        aes256,
      );
    });
  }
  test("iteration count 0 (2^32) and malformed s2kparams are refused, not run", () => {
    assert.throws(() => encryptionType(17).stringToKey("p", "s", iterationParams(0)), {
      code: "ERR_KRB_BAD_ARGUMENT",
    });
    assert.throws(() => encryptionType(18).stringToKey("p", "s", Uint8Array.of(1)), {
      code: "ERR_KRB_BAD_ARGUMENT",
    });
  });
});

describe("RFC 3962 Appendix B: AES-128-CTS with IV 0", () => {
  const key = text("chicken teriyaki");
  const pt = text("I would like the General Gau's Chicken, please, and wonton soup.");
  const vectors: Array<[number, string]> = [
    [17, "c6353568f2bf8cb4d8a580362da7ff7f97"],
    [31, "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"],
    [32, "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"],
    [47, "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5"],
    [48, "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8"],
    [
      64,
      "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8",
    ],
  ];
  for (const [len, expected] of vectors) {
    test(`${len} bytes`, () => {
      const ct = ctsEncrypt(key, pt.subarray(0, len));
      assert.equal(toHex(ct), expected);
      assert.deepEqual(Buffer.from(ctsDecrypt(key, ct)), pt.subarray(0, len));
    });
  }
});

describe("RFC 3962 (MIT krb5 t_cksums / t_decrypt values): AES-SHA1 checksum and decryption", () => {
  test("hmac-sha1-96-aes128 and -aes256 checksums", () => {
    const aes128 = encryptionType(17);
    const k128 = hex("9062430c8cda3388922e6d6a509f5b7a");
    assert.equal(
      toHex(aes128.checksum(k128, 3, text("eight nine ten eleven twelve thirteen"))),
      "01a4b088d45628f6946614e3",
    );
    const aes256 = encryptionType(18);
    const k256 = hex("b1ae4cd8462aff1677053cc9279aac30b796fb81ce21474dd3ddbcfea4ec76d7");
    assert.equal(toHex(aes256.checksum(k256, 4, text("fourteen"))), "e08739e3279e2903ec8e3836");
  });
  test("aes128 and aes256 ciphertexts decrypt to the plaintext", () => {
    const cases: Array<[number, string, number, string, string]> = [
      [
        17,
        "5a5c0f0ba54f3828b2195e66ca24a289",
        0,
        "",
        "49ff8e11c173d9583a3254fbe7b1f1df36c538e8416784a1672e6676",
      ],
      [
        17,
        "98450e3f3baa13f5c99beb936981b06f",
        1,
        "1",
        "f86742f537b35dc2174a4dbaa920faf9042090b065e1ebb1cad9a65394",
      ],
      [
        17,
        "9062430c8cda3388922e6d6a509f5b7a",
        2,
        "9 bytesss",
        "68fb9679601f45c78857b2bf820fd6e53eca8d42fd4b1d7024a09205abb7cd2ec26c355d2f",
      ],
      [
        18,
        "17f275f2954f2ed1f90c377ba7f4d6a369aa0136e0bf0c927ad6133c693759a9",
        0,
        "",
        "e5094c55ee7b38262e2b044280b069379a95bf95bd8376fb3281b435",
      ],
    ];
    for (const [etype, key, usage, plain, ct] of cases)
      assert.equal(Buffer.from(encryptionType(etype).decrypt(hex(key), usage, hex(ct))).toString(), plain);
  });
});

describe("RFC 8009 Appendix A", () => {
  const salt = Buffer.concat([hex("10df9dd783e5bc8acea1730e74355f61"), text("ATHENA.MIT.EDUraeburn")]);
  test("string-to-key, 32768 iterations", () => {
    assert.equal(toHex(encryptionType(19).stringToKey("password", salt)), "089bca48b105ea6ea77ca5d2f39dc5e7");
    assert.equal(
      toHex(encryptionType(20).stringToKey("password", salt)),
      "45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467",
    );
  });

  const base128 = hex("3705d96080c17728a0e800eab6e0d23c");
  const base256 = hex("6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52");
  test("key derivation for usage 2 (Kc, Ke, Ki)", () => {
    const d = (hash: "sha256" | "sha384", key: Buffer, kind: number, bits: number) =>
      toHex(kdfHmacSha2(hash, key, usageConstant(2, kind), bits));
    assert.equal(d("sha256", base128, KEY_DERIVATION.CHECKSUM, 128), "b31a018a48f54776f403e9a396325dc3");
    assert.equal(d("sha256", base128, KEY_DERIVATION.ENCRYPTION, 128), "9b197dd1e8c5609d6e67c3e37c62c72e");
    assert.equal(d("sha256", base128, KEY_DERIVATION.INTEGRITY, 128), "9fda0e56ab2d85e1569a688696c26a6c");
    assert.equal(
      d("sha384", base256, KEY_DERIVATION.CHECKSUM, 192),
      "ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d",
    );
    assert.equal(
      d("sha384", base256, KEY_DERIVATION.ENCRYPTION, 256),
      "56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49",
    );
    assert.equal(
      d("sha384", base256, KEY_DERIVATION.INTEGRITY, 192),
      "69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f",
    );
  });

  const encryptions: Array<[number, Buffer, string, string, string]> = [
    [
      19,
      base128,
      "",
      "7e5895eaf2672435bad817f545a37148",
      "ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718",
    ],
    [
      19,
      base128,
      "000102030405",
      "7bca285e2fd4130fb55b1a5c83bc5b24",
      "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c",
    ],
    [
      19,
      base128,
      "000102030405060708090a0b0c0d0e0f",
      "56ab21713ff62c0a1457200f6fa9948f",
      "3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc295fb4852e7d83e1e7c48c37eebe6b0d3",
    ],
    [
      19,
      base128,
      "000102030405060708090a0b0c0d0e0f1011121314",
      "a7a4e29a4728ce10664fb64e49ad3fac",
      "720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bce1e6d072c186b39a413c2f92ca9b8334a287ffcbfc",
    ],
    [
      20,
      base256,
      "",
      "f764e9fa15c276478b2c7d0c4e5f58e4",
      "41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c",
    ],
    [
      20,
      base256,
      "000102030405",
      "b80d3251c1f6471494256ffe712d0b9a",
      "4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b6092237526ea0d1f61cb20d69d10f2",
    ],
    [
      20,
      base256,
      "000102030405060708090a0b0c0d0e0f",
      "53bf8a0d105265d4e276428624ce5e63",
      "bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f68cf51f14d798c2273f35df574d1f932e40c4ff255b36a266",
    ],
    [
      20,
      base256,
      "000102030405060708090a0b0c0d0e0f1011121314",
      "763e65367e864f02f55153c7e3b58af1",
      "40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62",
    ],
  ];
  for (const [etype, key, plain, confounder, expected] of encryptions) {
    test(`etype ${etype} encryption of ${plain.length / 2} bytes (usage 2)`, () => {
      const e = encryptionType(etype);
      const ct = e.encrypt(key, 2, hex(plain), hex(confounder));
      assert.equal(toHex(ct), expected);
      assert.equal(toHex(e.decrypt(key, 2, ct)), plain);
    });
  }

  test("checksums (usage 2)", () => {
    const data = hex("000102030405060708090a0b0c0d0e0f1011121314");
    assert.equal(toHex(encryptionType(19).checksum(base128, 2, data)), "d78367186643d67b411cba9139fc1dee");
    assert.equal(
      toHex(encryptionType(20).checksum(base256, 2, data)),
      "45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a",
    );
  });

  test('PRF of "test"', () => {
    assert.equal(
      toHex(encryptionType(19).prf(base128, text("test"))),
      "9d188616f63852fe86915bb840b4a886ff3e6bb0f819b49b893393d393854295",
    );
    assert.equal(
      toHex(encryptionType(20).prf(base256, text("test"))),
      "9801f69a368c2bf675e59521e177d9a07f67efe1cfde8d3c8d6f6a0256e3b17db3c1b62ad1b8553360d17367eb1514d2",
    );
  });
});

describe("RC4-HMAC (RFC 4757; known answers from MIT krb5 t_decrypt.c and t_cksums.c)", () => {
  test("string-to-key is the NT hash of the password", () => {
    assert.equal(
      toHex(encryptionType(23).stringToKey("password", "ignored")),
      "8846f7eaee8fb117ad06bdd830b7586c",
    );
  });
  const cases: Array<[string, number, string, string]> = [
    ["", 0, "f81fec39255f5784e850c4377c88bd85", "02c1eb15586144122ec717763dd348bf00434ddc6585954c"],
    ["1", 1, "67d1300d281223867f9647ff48721273", "6156e0cc04e0a0874f9fda008f498a7adbbc80b70b14dddbc0"],
    [
      "9 bytesss",
      2,
      "3e40ab6093695281b3ac1a9304224d98",
      "0f9ad121d99d4a09448e4f1f718c4f5cbe6096262c66f29df232a87c9f98755d55",
    ],
    [
      "13 bytes byte",
      3,
      "4ba2fbf0379faed87a254d3b353d5a7e",
      "612c57568b17a70352bae8cf26fb9459a6f3353cd35fd439db3107cbec765d326dfc04c1dd",
    ],
    [
      "30 bytes bytes bytes bytes byt",
      4,
      "68f263db3fce15d031c9eab02d67107a",
      "95f9047c3ad75891c2e9b04b16566dc8b6eb9ce4231afb2542ef87a7b5a0f260a99f0460508de0cecc632d07c354124e46c5d2234eb8",
    ],
  ];
  for (const [plain, usage, key, ct] of cases) {
    test(`decrypts "${plain}" (usage ${usage}, the AS-REP usage 3 translated to 8)`, () => {
      assert.equal(Buffer.from(encryptionType(23).decrypt(hex(key), usage, hex(ct))).toString(), plain);
    });
  }
  test("encrypt then decrypt round-trips; a flipped bit is an integrity error", () => {
    const e = encryptionType(23);
    const key = hex("68f263db3fce15d031c9eab02d67107a");
    const ct = e.encrypt(key, 7, text("hello"));
    assert.equal(Buffer.from(e.decrypt(key, 7, ct)).toString(), "hello");
    ct[20]! ^= 1;
    assert.throws(() => e.decrypt(key, 7, ct), { code: "ERR_KRB_INTEGRITY" });
  });
  test("HMAC-MD5 checksum (type -138)", () => {
    const sum = encryptionType(23).checksum(
      hex("f7d3a155af5e238a0b7a871a96ba2ab2"),
      6,
      text("seventeen eighteen nineteen twenty"),
    );
    assert.equal(toHex(sum), "eb38cc97e2230f59da4117dc5859d7ec");
  });
});
