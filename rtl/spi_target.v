// SPI target, mode 0 (sck idles low, both sides sample on the rising edge, MSB first), with
// every pin sampled by the system clock.
//
// Synchronising sck, cs_n and mosi into the clk domain keeps the whole design on one clock
// (one timing constraint for nextpnr, no clock-domain crossings, a netlist any simulator runs
// cycle for cycle). The price is speed: sck must stay high and low for at least 4 clk cycles
// each, and the first sck edge must come at least 4 clk cycles after cs_n falls.
//
// `selected` is high from the (synchronised) fall of cs_n to its rise; the board top drives
// MISO only then, so a deselected target leaves a shared MISO line free. A byte cut short by
// cs_n rising is dropped (no rx_valid) and the next frame starts at bit 0.
`default_nettype none

module spi_target (
    input  wire       clk,
    input  wire       rst,
    input  wire       sck,
    input  wire       cs_n,
    input  wire       mosi,
    output wire       miso,
    output wire       selected,    // cs_n low (synchronised): drive miso
    input  wire [7:0] tx_first,    // sent as the first byte of every frame
    input  wire [7:0] tx_next,     // sent next; sampled when the previous byte ends
    output reg        frame_start, // one-cycle pulse when cs_n falls
    output reg        rx_valid,    // one-cycle pulse with a complete byte in rx_byte
    output reg  [7:0] rx_byte
);
    reg [2:0] sck_sync, cs_sync;
    reg [1:0] mosi_sync;
    reg [2:0] bit_count;
    reg [6:0] rx_shift;
    reg [7:0] tx_shift;

    wire sck_rise = sck_sync[2:1] == 2'b01;
    wire sck_fall = sck_sync[2:1] == 2'b10;
    assign selected = !cs_sync[1];
    wire cs_fall  = cs_sync[2:1] == 2'b10;

    assign miso = tx_shift[7];

    always @(posedge clk) begin
        sck_sync    <= {sck_sync[1:0], sck};
        cs_sync     <= {cs_sync[1:0], cs_n};
        mosi_sync   <= {mosi_sync[0], mosi};
        frame_start <= 1'b0;
        rx_valid    <= 1'b0;
        if (rst) begin
            cs_sync   <= 3'b111;
            bit_count <= 3'd0;
            tx_shift  <= 8'd0;
        end else if (!selected) begin
            bit_count <= 3'd0;
        end else if (cs_fall) begin
            frame_start <= 1'b1;
            bit_count   <= 3'd0;
            tx_shift    <= tx_first;
        end else if (sck_rise) begin
            rx_shift  <= {rx_shift[5:0], mosi_sync[1]};
            bit_count <= bit_count + 3'd1;
            if (bit_count == 3'd7) begin
                rx_valid <= 1'b1;
                rx_byte  <= {rx_shift, mosi_sync[1]};
            end
        end else if (sck_fall) begin
            // bit_count is 0 right after the 8th rising edge: the next byte starts here.
            tx_shift <= bit_count == 3'd0 ? tx_next : {tx_shift[6:0], 1'b0};
        end
    end
endmodule

`default_nettype wire
