using Iced.Intel;
using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// Translation reuses its objects (the emitter, the dry run's counter, the assembler, the layout's
/// buffers): once they have grown to the largest block, translating and placing a block allocates
/// nothing. Translation garbage made the garbage collector run during start-up and in programs that
/// run much code once, and a fresh allocation context costs a memset and page faults.
/// </summary>
public sealed class TranslationAllocationTests
{
    private const uint Code = 0x0001_0000;

    public static TheoryData<string, MemoryAddressing> Cases()
    {
        var data = new TheoryData<string, MemoryAddressing>();
        foreach (GuestIsa isa in IsaCatalog.All)
        {
            data.Add(isa.Name, data.Count % 2 == 0 ? MemoryAddressing.GsSegment : MemoryAddressing.BaseRegister);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TranslatingTheSameBlocksAgainAllocatesNothing(string isaName, MemoryAddressing addressing)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;

        // Every instruction of the spec, then random ones: one block starting at every instruction,
        // so blocks of every length, ending in every kind of jump, with call-outs and traps.
        var random = new Random(isaName.Length * 7919);
        const int Words = 2048;
        var words = new uint[Words];
        for (int i = 0; i < Words; i++)
        {
            int index = i < isa.Instructions.Count ? i : random.Next(isa.Instructions.Count);
            words[i] = (uint)LockstepHarness.RandomEncoding(isa, index, random);
        }

        using var memory = new GuestMemory();
        memory.Map(Code, Words * 4, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(isa, memory, Code, words);
        var options = new JitOptions { Addressing = addressing, InterpretFirstVisit = false, MaxBlockInstructions = 32 };
        using var engine = new JitEngine(isa, memory, options);
        var translator = new BlockTranslator(isa, memory, engine.Options, engine.Stubs);
        var labels = new Label[256];
        var addresses = new nint[256];

        int TranslateAll()
        {
            int placed = 0;
            for (uint pc = Code; pc < Code + (Words * 4); pc += (uint)isa.InstructionBytes)
            {
                if (translator.Translate(pc) is not { } t)
                {
                    continue;
                }

                labels[0] = t.Entry;
                t.InstructionStarts.CopyTo(labels.AsSpan(1));
                Assert.True(engine.Code.TryPlace(t.Assembler, labels.AsSpan(0, 1 + t.Length), addresses, out _, out int size));
                Assert.True(size > 0);
                placed++;
            }

            return placed;
        }

        // The first passes grow every buffer and learn which instructions to leave to the interpreter
        // (so the next translates some blocks differently, and may learn more); then everything is in place.
        int first = TranslateAll();
        TranslateAll();
        TranslateAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int third = TranslateAll();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(first > Words / 2, $"only {first} of {Words} blocks translated");
        Assert.Equal(first, third);
        Assert.True(allocated == 0, $"translating {third} blocks again allocated {allocated} bytes");
    }
}
