using Isa.Backends.Jit.X64;

namespace Isa.Backends.Jit;

/// <summary>A translated guest block: where its code is, what it covers, and how other blocks reach it.</summary>
internal sealed class JitBlock
{
    public JitBlock(ulong pc, ulong endPc, int length, nint entry, nint codeStart, int codeSize, X64Emitter.Home[] homes, nint[] instructionStarts, int delaySlot, int[] restartingSlots)
    {
        Pc = pc;
        EndPc = endPc;
        Length = length;
        Entry = entry;
        CodeStart = codeStart;
        CodeSize = codeSize;
        Homes = homes;
        InstructionStarts = instructionStarts;
        DelaySlot = delaySlot;
        RestartingSlots = restartingSlots;
    }

    /// <summary>The guest address of the first instruction.</summary>
    public ulong Pc { get; }

    /// <summary>The guest address just past the last instruction translated natively.</summary>
    public ulong EndPc { get; }

    /// <summary>Guest instructions the block retires when it runs to its end.</summary>
    public int Length { get; }

    /// <summary>The host address other code jumps to (the prologue).</summary>
    public nint Entry { get; }

    public nint CodeStart { get; }

    public int CodeSize { get; }

    /// <summary>Guest registers held in host registers while the block runs.</summary>
    public X64Emitter.Home[] Homes { get; }

    /// <summary>The host address where each guest instruction's code begins.</summary>
    public nint[] InstructionStarts { get; }

    /// <summary>The index of the instruction in a delay slot, or -1.</summary>
    public int DelaySlot { get; }

    /// <summary>
    /// The delay slots emitted before their branch that may leave (a superblock has one per branch it
    /// goes on past): a fault in one restarts at its branch (the state as before the branch), and the
    /// interpreter runs both again.
    /// </summary>
    public int[] RestartingSlots { get; }

    /// <summary>Patched jumps in other blocks that lead here: undone when this block is dropped.</summary>
    public List<nint> Incoming { get; } = [];

    public bool Valid { get; set; } = true;

    /// <summary>
    /// The index of the guest instruction whose code contains <paramref name="hostAddress"/>: the nearest
    /// start at or below it (a delay slot emitted before its branch starts below the branch's code).
    /// </summary>
    public int InstructionAt(nint hostAddress)
    {
        int index = 0;
        for (int i = 0; i < InstructionStarts.Length; i++)
        {
            if (InstructionStarts[i] <= hostAddress && InstructionStarts[i] >= InstructionStarts[index])
            {
                index = i;
            }
        }

        return index;
    }

    /// <summary>The instruction a fault in instruction <paramref name="index"/> restarts at.</summary>
    public int RestartIndex(int index) => Array.IndexOf(RestartingSlots, index) >= 0 ? index - 1 : index;
}

