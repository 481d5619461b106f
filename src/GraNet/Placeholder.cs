namespace GraNet;
