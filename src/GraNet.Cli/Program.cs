using GraNet.Cli;

return Runner.Run(args, Console.Out, Console.Error);
