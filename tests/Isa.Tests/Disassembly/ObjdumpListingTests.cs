using Isa.Cli.Disassembly;

namespace Isa.Tests.Disassembly;

/// <summary>
/// The objdump output parser and the normalizer, on lines copied from real objdump 2.40 output
/// (busybox, the C corpus, raw binaries): what is compared must be exactly the instruction text.
/// </summary>
public sealed class ObjdumpListingTests
{
    [Theory]
    [InlineData("  400304:\t3c1c0024 \tlui\tgp,0x24", 0x400304ul, 0x3c1c0024ul, "lui gp,0x24")] // mipsel busybox
    [InlineData("  40031c:\t8f82a2ac \tlw\tv0,-23892(gp)", 0x40031cul, 0x8f82a2acul, "lw v0,-23892(gp)")]
    [InlineData("  400320:\t10400004 \tbeqz\tv0,0x400334", 0x400320ul, 0x10400004ul, "beqz v0,0x400334")] // stripped: 0x, no symbol
    [InlineData("  400288:\t10400004 \tbeqz\tv0,40029c <_init+0x30>", 0x400288ul, 0x10400004ul, "beqz v0,40029c")] // mips-O2, symbols
    [InlineData("  4005b8:\t04111fb1 \tbal\t408480 <_IO_printf>", 0x4005b8ul, 0x04111fb1ul, "bal 408480")]
    [InlineData("  400398:\t7c03e83b \trdhwr\tv1,$29", 0x400398ul, 0x7c03e83bul, "rdhwr v1,$29")]
    [InlineData("  4002a0:\t03e00008 \tjr\tra", 0x4002a0ul, 0x03e00008ul, "jr ra")]
    [InlineData("  400324:\t00000000 \tnop", 0x400324ul, 0ul, "nop")]
    [InlineData(" 7c0:\t8f998010 \tlw\tt9,-32752(gp)", 0x7c0ul, 0x8f998010ul, "lw t9,-32752(gp)")] // PIE: short addresses
    [InlineData("   0:\tffffffff \t.word\t0xffffffff", 0ul, 0xfffffffful, ".word 0xffffffff")] // undecodable MIPS word
    [InlineData("   10094:\t61d022ef          \tjal\tt0,12eb0 <__riscv_save_0>", 0x10094ul, 0x61d022eful, "jal t0,12eb0")] // RISC-V
    [InlineData("   100cc:\tf3450513          \tadd\ta0,a0,-204 # 12f34 <msg.0+0x24>", 0x100ccul, 0xf3450513ul, "add a0,a0,-204")]
    [InlineData("   100ac:\t000000e7          \tjalr\tzero # 0 <exit-0x10094>", 0x100acul, 0xe7ul, "jalr zero")]
    [InlineData("   10150:\t8401a603          \tlw\ta2,-1984(gp) # 145a8 <olen>", 0x10150ul, 0x8401a603ul, "lw a2,-1984(gp)")]
    [InlineData("   0:\t0000000b          \t.4byte\t0xb", 0ul, 0xbul, ".4byte 0xb")] // undecodable RISC-V word
    [InlineData("   2:\tffff                \t.2byte\t0xffff", 2ul, 0xfffful, ".2byte 0xffff")]
    public void InstructionLinesParse(string line, ulong address, ulong word, string normalized)
    {
        Assert.True(ObjdumpListing.TryParseInstruction(line, ".text", out ObjdumpLine parsed));

        Assert.Equal(".text", parsed.Section);
        Assert.Equal(address, parsed.Address);
        Assert.Equal(word, parsed.Word);
        Assert.Equal(normalized, parsed.NormalizedText);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".deps/sysroot-mipsel/bin/busybox:     file format elf32-tradlittlemips")]
    [InlineData("Disassembly of section .text:")]
    [InlineData("00400304 <.init>:")]
    [InlineData("000100bc <main>:")]
    [InlineData("\t...")]
    [InlineData("  400304:\t3c1c0024 \t")] // raw bytes without an instruction (a continuation line)
    public void OtherLinesAreNotInstructions(string line) =>
        Assert.False(ObjdumpListing.TryParseInstruction(line, ".text", out _));

    [Fact]
    public void ParseFollowsSectionHeaders()
    {
        string[] output =
        [
            "",
            "busybox:     file format elf32-tradlittlemips",
            "",
            "",
            "Disassembly of section .init:",
            "",
            "00400304 <.init>:",
            "  400304:\t3c1c0024 \tlui\tgp,0x24",
            "\t...",
            "",
            "Disassembly of section .text:",
            "",
            "00400340 <.text>:",
            "  400340:\t3c1c0024 \tlui\tgp,0x24",
            "  400344:\t279c9290 \taddiu\tgp,gp,-28016",
        ];

        ObjdumpLine[] lines = ObjdumpListing.Parse(output).ToArray();

        Assert.Equal([".init", ".text", ".text"], lines.Select(line => line.Section));
        Assert.Equal([0x400304ul, 0x400340ul, 0x400344ul], lines.Select(line => line.Address));
        Assert.Equal("addiu\tgp,gp,-28016", lines[2].Text);
    }

    [Theory]
    [InlineData("addiu\tsp,sp,-32", "addiu sp,sp,-32")]
    [InlineData("  addiu \t sp,sp,-32  ", "addiu sp,sp,-32")]
    [InlineData("addiu sp, sp, -32", "addiu sp, sp, -32")] // a space inside the operands is a real difference
    [InlineData("beqz\tv0,40029c <_init+0x30>", "beqz v0,40029c")]
    [InlineData("j\t400400 <main-0x10>", "j 400400")]
    [InlineData("add\ta0,a0,-204 # 12f34 <msg.0+0x24>", "add a0,a0,-204")]
    [InlineData("lw\ta2,-1984(gp)\t# 145a8", "lw a2,-1984(gp)")]
    [InlineData("sll\tzero,zero,0x0", "sll zero,zero,0x0")]
    [InlineData("c.lt.d\t$fcc1,$f0,$f2", "c.lt.d $fcc1,$f0,$f2")]
    public void NormalizeKeepsOnlyTheInstruction(string text, string normalized) =>
        Assert.Equal(normalized, ObjdumpListing.Normalize(text));

    [Fact]
    public void NormalizeIsTheSameForOursAndObjdumps()
    {
        // Ours has a tab after the mnemonic and no annotation; objdump's adds the symbol.
        Assert.Equal(ObjdumpListing.Normalize("bal\t408480"), ObjdumpListing.Normalize("bal\t408480 <_IO_printf>"));
        Assert.NotEqual(ObjdumpListing.Normalize("bal\t408480"), ObjdumpListing.Normalize("bal\t408484 <_IO_printf+0x4>"));
        Assert.NotEqual(ObjdumpListing.Normalize("bal\t0x408480"), ObjdumpListing.Normalize("bal\t408480"));
    }

    [Theory]
    [InlineData("lui\tgp,0x24", "lui")]
    [InlineData("nop", "nop")]
    [InlineData("c.eq.d $fcc0,$f0,$f2", "c.eq.d")]
    [InlineData(".word\t0x28", ".word")]
    public void MnemonicIsTheFirstWord(string text, string mnemonic) => Assert.Equal(mnemonic, ObjdumpListing.Mnemonic(text));
}
