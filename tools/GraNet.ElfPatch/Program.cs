using GraNet.ElfPatch;

// Usage: GraNet.ElfPatch [--weak VERSION]... FILE...   (default version: GLIBCXX_3.4.32); see ElfPatchCommand.
return ElfPatchCommand.Run(args, Console.Out, Console.Error);
