// Shared definitions of the FIR filter example: the coefficient width and the coefficient of
// tap I of an N-tap filter, a low-pass window (I + 1) * (N - I): 4 6 6 4 for N = 4. Every other file uses
// these macros, so this file must be read first: sources.txt marks it `detlab: keep-order`.
`define FIR_COEFF_W 8
`define FIR_COEFF(I, N) (((I) + 1) * ((N) - (I)))
