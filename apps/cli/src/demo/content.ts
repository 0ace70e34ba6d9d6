import type { Random } from './random.js';

/**
 * Bytes that look like a compiler cache's: symbol names, mnemonics and numbers that repeat
 * (compressible), interleaved with short random runs (machine code, hashes) that do not. A shared
 * phrase book keeps generation fast (copying phrases, not characters) while every copy gets a
 * random digit so no two files are alike.
 */
export class ContentGenerator {
  private readonly phrases: Buffer[];

  constructor(private readonly rng: Random) {
    const words = [
      ...'mov lea call ret push pop cmp jne jmp test xor add sub and shl sar nop'.split(' '),
      ...'rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 xmm0 xmm1 .text .data .bss .rodata'.split(' '),
      ...'_ZN4core3fmt _ZNSt6vector std::string std::vector<int> operator() __cxa_throw memcpy'.split(' '),
      ...'DW_TAG_subprogram DW_AT_name DW_AT_low_pc .debug_info .debug_line GCC: (GNU) 13.2.0'.split(' '),
    ];
    const identifier = () => {
      const length = 3 + rng.int(14);
      let s = '';
      for (let i = 0; i < length; i++) s += String.fromCharCode(97 + rng.int(26));
      return s;
    };
    for (let i = 0; i < 600; i++) words.push(identifier());
    this.phrases = [];
    for (let i = 0; i < 4096; i++) {
      let phrase = '';
      const count = 4 + rng.int(20);
      for (let j = 0; j < count; j++) {
        const pick = rng.int(10);
        phrase += pick < 7 ? words[rng.int(words.length)] : `0x${rng.next().toString(16)}`;
        phrase += ' \n\t(,;\0'[rng.int(7)];
      }
      this.phrases.push(Buffer.from(phrase, 'latin1'));
    }
  }

  /** `size` bytes of fresh content. */
  generate(size: number): Buffer {
    const out = Buffer.allocUnsafe(size);
    const rng = this.rng;
    let at = 0;
    while (at < size) {
      if (rng.int(8) === 0) {
        const end = Math.min(size, at + 16 + rng.int(240));
        rng.fill(out, at, end);
        at = end;
        continue;
      }
      const phrase = this.phrases[rng.int(this.phrases.length)] as Buffer;
      const copied = phrase.copy(out, at, 0, Math.min(phrase.length, size - at));
      out[at + rng.int(copied)] = 48 + rng.int(10);
      at += copied;
    }
    return out;
  }
}
