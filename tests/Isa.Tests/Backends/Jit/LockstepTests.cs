using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The JIT against the interpreter: random sequences of every instruction of every spec (random
/// operands, registers and memory) run on both, and the final states must be identical: exit,
/// PC, every register, memory, instructions retired. In both memory-addressing modes.
/// </summary>
public sealed class LockstepTests
{
    private const int Sequences = 120;

    public static TheoryData<string, MemoryAddressing> Cases()
    {
        var data = new TheoryData<string, MemoryAddressing>();
        foreach (GuestIsa isa in IsaCatalog.All)
        {
            data.Add(isa.Name, MemoryAddressing.GsSegment);
            data.Add(isa.Name, MemoryAddressing.BaseRegister);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomSequencesMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.RandomSequencesMatchTheInterpreter(isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false }, (int)addressing, Sequences);

    [Theory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    public void AStoreIntoTranslatedCodeIsSeenByTheNextRun(string isaName)
        => LockstepHarness.AStoreIntoTranslatedCodeIsSeenByTheNextRun(isaName, new JitOptions { InterpretFirstVisit = false });
}
