using Isa.Runtime.Cpu;

namespace Isa.Backends.Jit;

/// <summary>
/// Picks the guest registers an engine keeps resident in host registers across blocks
/// (<see cref="X64.X64Emitter.Home.Resident"/>) from how the guest runs: until the choice, each block
/// counts its runs in a counter of its own, and a register's score is its uses in each block (the
/// translator's dry run) times that block's runs. Static counts alone would favour code that is long
/// rather than code that is hot (start-up code against a small inner loop).
/// </summary>
internal sealed unsafe class ResidentProfile(nint counters)
{
    /// <summary>Blocks that get a counter; later ones run uncounted (the hot code is translated early).</summary>
    public const int Counters = 16384;

    /// <summary>Bytes of zeroed memory the counters take, where the generated code can write them (the execution host's).</summary>
    public const int CounterBytes = Counters * sizeof(long);

    // Each block's register uses, one packed entry each (counter, offset, uses), in chunks that stay
    // off the large-object heap: a growing list of tuples took 1.1 MB of lua's 4.7 MB of allocations
    // (its copies at each doubling), now 8 bytes an entry, allocated once.
    private const int ChunkEntries = 2048;

    private readonly long* _counters = (long*)counters;
    private readonly List<long[]> _uses = [];
    private int _used; // entries in the last chunk
    private int _assigned;
    private long _executed;

    /// <summary>The counter the next block translated increments at each run, or 0 when none is left.</summary>
    public nint NextCounter => _assigned < Counters ? (nint)(_counters + _assigned) : 0;

    /// <summary>The block given <see cref="NextCounter"/> was placed, with these register uses (state offset, uses).</summary>
    public void Placed(Dictionary<int, int> uses)
    {
        if (_assigned >= Counters)
        {
            return;
        }

        foreach ((int offset, int count) in uses)
        {
            if (_uses.Count == 0 || _used == ChunkEntries)
            {
                _uses.Add(new long[ChunkEntries]);
                _used = 0;
            }

            _uses[^1][_used++] = ((long)_assigned << 48) | ((long)(uint)offset << 16) | (ushort)Math.Min(count, ushort.MaxValue);
        }

        _assigned++;
    }

    /// <summary>Counts guest instructions run in JIT code; true once <paramref name="due"/> have run.</summary>
    public bool Ran(long instructions, long due) => Interlocked.Add(ref _executed, instructions) >= due;

    /// <summary>
    /// Up to <paramref name="count"/> registers, the highest score first, of those that can live in
    /// a host register and were used by a block that ran.
    /// </summary>
    public (int File, int Index)[] Choose(GuestIsa isa, int count)
    {
        var scores = new Dictionary<int, long>();
        for (int c = 0; c < _uses.Count; c++)
        {
            foreach (long entry in _uses[c].AsSpan(0, c == _uses.Count - 1 ? _used : ChunkEntries))
            {
                long runs = _counters[(int)(entry >> 48)];
                int offset = (int)(uint)(entry >> 16), uses = (ushort)entry;
                if (runs > 0)
                {
                    scores[offset] = scores.GetValueOrDefault(offset) + (runs * uses);
                }
            }
        }

        var chosen = new List<(int File, int Index)>();
        foreach ((int offset, long _) in scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key))
        {
            if (chosen.Count < count && isa.RegisterAt(offset) is { } register && X64.X64Emitter.CanBeResident(isa, register.File, register.Index))
            {
                chosen.Add(register);
            }
        }

        return [.. chosen];
    }
}
