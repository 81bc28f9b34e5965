using System.Buffers.Binary;
using Isa.Cli.Disassembly;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;
using Isa.Tests.Loaders;

namespace Isa.Tests.Disassembly;

/// <summary>
/// Our listing in objdump -d's layout: symbol labels, branch targets with and without symbols,
/// skipped zero runs, address columns. The expected texts are what objdump 2.40 prints for the
/// same bytes.
/// </summary>
public sealed class ObjdumpListingWriterTests
{
    private static readonly GuestIsa Mips = IsaCatalog.Find("mips32el")!;

    [Fact]
    public void ElfWithSymbolsIsListedAsObjdumpDoes()
    {
        // beqz v0 to helper; its delay slot; 12 zero bytes; helper: jr ra; nop
        var builder = new ElfBuilder(Endianness.Little);
        builder
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, Code(0x10400004, 0, 0, 0, 0, 0x03e00008, 0))
            .AddSymbol("main", ".text", 0, 20, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSymbol("helper", ".text", 20, 8, ElfSymbolType.Func, ElfSymbolBinding.Global);
        ElfFile elf = ElfFile.Parse(builder.Build(), "prog");
        uint text = builder.AddressOf(".text");

        string listing = Listing(CodeImage.FromElf(elf, Mips));

        Assert.Equal(
            $"""

            prog:     file format elf32 (mips32el)


            Disassembly of section .text:

            {text:x8} <main>:
              {text:x}:	10400004 	beqz	v0,{text + 0x14:x} <helper>
              {text + 4:x}:	00000000 	nop
            	...

            {text + 0x14:x8} <helper>:
              {text + 0x14:x}:	03e00008 	jr	ra
              {text + 0x18:x}:	00000000 	nop

            """.ReplaceLineEndings("\n"),
            listing);
    }

    [Fact]
    public void RawBinaryHasNoSymbolsSoTargetsAre0xAddresses()
    {
        CodeImage image = CodeImage.FromRaw("raw.bin", Code(0xffffffff, 0x10400004, 0, 0x03e00008, 0, 0, 0), Mips, baseAddress: 0);

        string listing = Listing(image);

        // Addresses: leading zeros shared by the whole region are dropped, the rest become spaces.
        Assert.EndsWith(
            """
            Disassembly of section .data:

            00000000 <.data>:
               0:	ffffffff 	.word	0xffffffff
               4:	10400004 	beqz	v0,0x18
               8:	00000000 	nop
               c:	03e00008 	jr	ra
              10:	00000000 	nop
            	...

            """.ReplaceLineEndings("\n"),
            listing);
    }

    [Fact]
    public void TargetsBeforeTheFirstSymbolAreLabelledByTheNextOne()
    {
        var builder = new ElfBuilder(Endianness.Little);
        builder
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, Code(0x10400004, 0, 0x03e00008, 0))
            .AddSymbol("later", ".text", 8, 8, ElfSymbolType.Func, ElfSymbolBinding.Global);
        ElfFile elf = ElfFile.Parse(builder.Build(), "prog");
        var renderer = new ObjdumpRenderer(CodeImage.FromElf(elf, Mips), ObjdumpFlavor.For(Mips));
        CodeRegion text = renderer.Image.Regions[0];

        Assert.Equal($"beqz\tv0,{text.Address + 0x14:x} <later+0xc>", renderer.Instruction(text, 0x10400004, text.Address, labelTargets: true));
        Assert.Equal($"beqz\tv0,{text.Address + 0x4:x} <later-0x4>", renderer.Instruction(text, 0x1040ffff, text.Address + 4, labelTargets: true));
        Assert.Equal($"beqz\tv0,{text.Address + 0x4:x}", renderer.Instruction(text, 0x1040ffff, text.Address + 4, labelTargets: false));
    }

    private static string Listing(CodeImage image)
    {
        var output = new StringWriter { NewLine = "\n" };
        ObjdumpListingWriter.Write(new ObjdumpRenderer(image, ObjdumpFlavor.For(image.Isa)), output);
        return output.ToString();
    }

    private static byte[] Code(params uint[] words)
    {
        byte[] bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        }

        return bytes;
    }
}
