using Iced.Intel;
using Isa.Backends.Jit;
using Isa.Backends.Jit.X64;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The x64 templates specs carry (<c>x64 insn { ... }</c>) against the interpreter: random sequences
/// dense in templated instructions, with the templates used, with them off (the generic lowering
/// they fall back to) and on a host reported to have no optional CPU feature; in both memory modes.
/// </summary>
public sealed class SpecTemplateTests
{
    private const int Sequences = 40;
    private const int Length = 24;

    public static TheoryData<string, MemoryAddressing, string> Cases()
    {
        var data = new TheoryData<string, MemoryAddressing, string>();
        foreach (GuestIsa isa in IsaCatalog.All.Where(i => i.JitFrontend.Templates.Count > 0))
        {
            foreach (MemoryAddressing addressing in new[] { MemoryAddressing.GsSegment, MemoryAddressing.BaseRegister })
            {
                foreach (string mode in new[] { "templates", "generic", "no-features" })
                {
                    data.Add(isa.Name, addressing, mode);
                }
            }
        }

        return data;
    }

    [Fact]
    public void TheShippedSpecsCarryTemplatesForBothByteOrders()
    {
        Assert.Contains(IsaCatalog.All, i => i.JitFrontend.Templates.Count > 0 && i.Endianness == Endianness.Little);
        Assert.Contains(IsaCatalog.All, i => i.JitFrontend.Templates.Count > 0 && i.Endianness == Endianness.Big);
    }

    [Fact]
    public void EveryTemplateNamesAnInstructionOfItsIsaAndIcedCodesOfThisIcedVersion()
    {
        foreach (GuestIsa isa in IsaCatalog.All)
        {
            foreach (HostTemplate t in isa.JitFrontend.Templates)
            {
                Assert.Contains(isa.Instructions, i => i.Name == t.Name);
                Assert.Equal(HostIsa.X64, t.Host);
                Assert.NotEmpty(t.Instructions);
                Assert.Equal(typeof(Code).Assembly.GetName().Version?.ToString(), t.EncoderVersion);
                foreach (HostTemplateInstruction insn in t.Instructions)
                {
                    Assert.Equal(insn.CodeName, ((Code)insn.Code).ToString());
                }
            }
        }
    }

    [Fact]
    public void ATemplateOfAnotherIcedVersionIsNotUsed()
    {
        GuestIsa isa = IsaCatalog.All.First(i => i.JitFrontend.Templates.Count > 0);
        HostTemplate template = isa.JitFrontend.Templates[0];
        var emitter = new X64Emitter(new Assembler(64), isa, MemoryAddressing.GsSegment) { HostFeatures = HostFeatures.None, UseTemplates = true };
        HostTemplate plain = template with { Features = HostFeatures.None };
        Assert.True(emitter.Supports(plain));
        Assert.False(emitter.Supports(plain with { EncoderVersion = "0.0.0.0" }));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TemplatedInstructionsMatchTheInterpreter(string isaName, MemoryAddressing addressing, string mode)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        JitOptions options = mode switch
        {
            "templates" => new JitOptions(),
            "generic" => new JitOptions { UseSpecTemplates = false },
            _ => new JitOptions { HostFeatures = HostFeatures.None },
        };
        var templated = isa.JitFrontend.Templates.Select(t => isa.Instructions.ToList().FindIndex(i => i.Name == t.Name)).ToList();
        Assert.DoesNotContain(-1, templated);

        // Half templated instructions, half anything (which sets up known constants, homes and jumps).
        var random = new Random(isaName.Aggregate(29, (h, c) => (h * 31) + c) ^ (int)addressing ^ mode.Length);
        for (int n = 0; n < Sequences; n++)
        {
            ulong[] words = new ulong[Length];
            for (int k = 0; k < Length; k++)
            {
                int index = random.Next(2) == 0 ? templated[random.Next(templated.Count)] : random.Next(isa.Instructions.Count);
                words[k] = LockstepHarness.RandomEncoding(isa, index, random);
            }

            LockstepHarness.RunBoth(isa, options with { Addressing = addressing, InterpretFirstVisit = false }, words, random.Next(), n);
        }
    }
}
