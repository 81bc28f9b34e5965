using Isa.Runtime.Jit;

namespace Isa.Backends.Jit.X64;

/// <summary>
/// Captured inputs: a delay slot emitted before its branch may overwrite a register the branch reads
/// (<c>bnez a0, loop; addiu a0, a0, -1</c>). Its old value is copied aside before the slot, and the
/// branch, emitted next, reads the copy: it sees the register as the guest's order has it.
/// </summary>
internal sealed partial class X64Emitter
{
    /// <summary>How many registers one capture may hold: a branch reads two at most, and the slot keeps two temporaries.</summary>
    public const int MaxCaptures = 2;

    private readonly (int Offset, Location Value)[] _captures = new (int, Location)[MaxCaptures];
    private int _captureCount;

    // Temporaries holding captured values: kept from the slot's and the branch's own use.
    private uint _captureTemps;

    // The capture's life: 0 none, 1 the slot (taken, not seen), 2 the branch (seen), then gone.
    private int _captureStage;

    /// <summary>True if the guest register at <paramref name="offset"/> can be captured (a 32- or 64-bit register).</summary>
    public bool CanCapture(int offset) => FileAt(offset) is >= 0 and int file && _layout.RegisterFiles[file].ElementBytes is 4 or 8 && _files[file].Bits <= 64;

    /// <summary>
    /// At the start of a delay slot emitted before its branch: the guest registers at
    /// <paramref name="offsets"/> (the slot writes them, the branch reads them) are copied now into
    /// temporaries that the slot cannot take, or kept as the constant the block knows; the next
    /// instruction, the branch, reads the copies. Only moves: nothing here can leave the block.
    /// </summary>
    public void CaptureForNext(ReadOnlySpan<int> offsets)
    {
        if (offsets.Length > MaxCaptures || _captureStage != 0)
        {
            throw new JitUnsupportedException("too many captured registers");
        }

        foreach (int offset in offsets)
        {
            if (!CanCapture(offset))
            {
                throw new JitUnsupportedException($"no capture of the register at state offset {offset}");
            }

            Location value;
            if (_known.TryGetValue(offset, out ulong known))
            {
                value = Location.Immediate(known);
            }
            else
            {
                int r = AllocateTemp();
                _captureTemps |= 1u << r;
                int home = HomeIndex(offset);
                MoveTo(r, home >= 0 ? Location.InRegister(_homes[home].Register) : Location.InState(offset, _layout.RegisterFiles[FileAt(offset)].ElementBytes, false));
                value = Location.InRegister(r);
            }

            _captures[_captureCount++] = (offset, value);
        }

        _captureStage = 1;
    }

    /// <summary>At each instruction's start: the slot's capture becomes the branch's, and goes after it.</summary>
    private void AdvanceCapture()
    {
        if (_captureStage == 1)
        {
            _captureStage = 2;
        }
        else if (_captureStage == 2)
        {
            ForgetCaptures();
        }
    }

    private void ForgetCaptures()
    {
        _captureStage = 0;
        _captureCount = 0;
        _captureTemps = 0;
    }

    /// <summary>The branch's read of a captured register: its value before the slot.</summary>
    private bool TryReadCapture(int offset, JitType type, out JitValue value)
    {
        for (int i = 0; i < _captureCount && _captureStage == 2; i++)
        {
            if (_captures[i].Offset == offset)
            {
                Location l = _captures[i].Value;
                // Read-only, as a home is: nothing computes in place into it.
                value = l.Kind == LocationKind.Immediate ? Constant(l.Value, type) : new JitValue(JitValueKind.GuestRegister, l.Register, 0, type);
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The register file holding the element at state offset <paramref name="offset"/>, or -1.</summary>
    private int FileAt(int offset) => _isa.RegisterAt(offset)?.File ?? -1;
}
