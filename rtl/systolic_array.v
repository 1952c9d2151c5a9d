// Output-stationary N x N systolic array computing C = A x B one N x N tile at a time.
//
// Each cycle the driver presents one k-slice of a tile: column k of A (a_in, row i in bits
// [i*W +: W]) and row k of B (b_in, column j in bits [j*W +: W]), with flags marking the first
// and last slice of the tile. The skew lines below delay row i of A (and its flags) by i cycles
// and column j of B by j cycles, so PE(i,j) sees A[i][k] and B[k][j] together at cycle k+i+j.
//
// Tiles stream back to back: slice 0 of the next tile may follow the last slice of the previous
// one in the very next cycle. Each PE copies its finished sum into a result register when the
// tile's last slice passes it; result_valid pulses in the cycle after PE(N-1,N-1) did so, and
// from then on `result` holds the whole tile (C[i][j] in bits [(i*N+j)*AW +: AW]) until PE(0,0)
// finishes the next tile. Reading every tile therefore needs the `last` slices of consecutive
// tiles at least 2N-1 cycles apart (K >= 2N-1, or idle cycles in between).
`default_nettype none

module systolic_array #(
    parameter N  = 4,
    parameter W  = 8,
    parameter AW = 24
) (
    input  wire            clk,
    input  wire            rst,
    input  wire            in_valid,
    input  wire            in_first,
    input  wire            in_last,
    input  wire [N*W-1:0]  a_in,
    input  wire [N*W-1:0]  b_in,
    output reg             result_valid,
    output wire [N*N*AW-1:0] result
);
    localparam RW = W + 3; // a row lane: operand plus valid, first, last

    // Horizontal links: lane (i, j) enters PE(i, j); index i*(N+1)+j. Vertical links: lane
    // (i, j) enters PE(i, j) from above; index i*N+j, row N is the unused bottom edge.
    wire [W-1:0]  a_link     [0:N*(N+1)-1];
    wire          valid_link [0:N*(N+1)-1];
    wire          first_link [0:N*(N+1)-1];
    wire          last_link  [0:N*(N+1)-1];
    wire [W-1:0]  b_link     [0:(N+1)*N-1];
    genvar i, j;
    generate
        for (i = 0; i < N; i = i + 1) begin : row_skew
            wire [RW-1:0] lane_in = {in_valid, in_first, in_last, a_in[i*W +: W]};
            wire [RW-1:0] lane_out;
            if (i == 0) begin : direct
                assign lane_out = lane_in;
            end else begin : delayed
                reg [RW-1:0] stage [0:i-1];
                integer s;
                always @(posedge clk) begin
                    stage[0] <= rst ? {RW{1'b0}} : lane_in;
                    for (s = 1; s < i; s = s + 1)
                        stage[s] <= rst ? {RW{1'b0}} : stage[s-1];
                end
                assign lane_out = stage[i-1];
            end
            assign {valid_link[i*(N+1)], first_link[i*(N+1)], last_link[i*(N+1)],
                    a_link[i*(N+1)]} = lane_out;
        end

        for (j = 0; j < N; j = j + 1) begin : col_skew
            if (j == 0) begin : direct
                assign b_link[j] = b_in[j*W +: W];
            end else begin : delayed
                reg [W-1:0] stage [0:j-1];
                integer s;
                always @(posedge clk) begin
                    stage[0] <= b_in[j*W +: W];
                    for (s = 1; s < j; s = s + 1)
                        stage[s] <= stage[s-1];
                end
                assign b_link[j] = stage[j-1];
            end
        end

        for (i = 0; i < N; i = i + 1) begin : row
            for (j = 0; j < N; j = j + 1) begin : col
                systolic_pe #(.W(W), .AW(AW)) pe (
                    .clk(clk), .rst(rst),
                    .a_in(a_link[i*(N+1)+j]), .b_in(b_link[i*N+j]),
                    .valid_in(valid_link[i*(N+1)+j]), .first_in(first_link[i*(N+1)+j]),
                    .last_in(last_link[i*(N+1)+j]),
                    .a_out(a_link[i*(N+1)+j+1]), .b_out(b_link[(i+1)*N+j]),
                    .valid_out(valid_link[i*(N+1)+j+1]), .first_out(first_link[i*(N+1)+j+1]),
                    .last_out(last_link[i*(N+1)+j+1]), .result(result[(i*N+j)*AW +: AW])
                );
            end
        end
    endgenerate

    // PE(N-1,N-1) is the last to see a tile's final slice.
    always @(posedge clk)
        result_valid <= !rst && valid_link[N*(N+1)-2] && last_link[N*(N+1)-2];
endmodule

`default_nettype wire
