// A minimal no-op ext_proc server in Go: the compiled yardstick of `make bench`.
//
// It answers every ProcessingRequest with an empty answer of the same phase
// (CONTINUE, nothing changed), as `extproc serve --passthrough` does, so the
// two differ only in language and gRPC runtime. A benchmark reference, not
// part of the product. Built by bench/gonoop.py from this repository's proto/
// with Debian's Go packages (GOPATH mode, no network).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"

	"google.golang.org/grpc"

	pb "extprocbench/pb"
)

type noop struct {
	pb.UnimplementedExternalProcessorServer
}

func answer(req *pb.ProcessingRequest) *pb.ProcessingResponse {
	empty := &pb.CommonResponse{}
	switch req.Request.(type) {
	case *pb.ProcessingRequest_RequestHeaders:
		return &pb.ProcessingResponse{Response: &pb.ProcessingResponse_RequestHeaders{
			RequestHeaders: &pb.HeadersResponse{Response: empty}}}
	case *pb.ProcessingRequest_ResponseHeaders:
		return &pb.ProcessingResponse{Response: &pb.ProcessingResponse_ResponseHeaders{
			ResponseHeaders: &pb.HeadersResponse{Response: empty}}}
	case *pb.ProcessingRequest_RequestBody:
		return &pb.ProcessingResponse{Response: &pb.ProcessingResponse_RequestBody{
			RequestBody: &pb.BodyResponse{Response: empty}}}
	case *pb.ProcessingRequest_ResponseBody:
		return &pb.ProcessingResponse{Response: &pb.ProcessingResponse_ResponseBody{
			ResponseBody: &pb.BodyResponse{Response: empty}}}
	case *pb.ProcessingRequest_RequestTrailers:
		return &pb.ProcessingResponse{Response: &pb.ProcessingResponse_RequestTrailers{
			RequestTrailers: &pb.TrailersResponse{}}}
	case *pb.ProcessingRequest_ResponseTrailers:
		return &pb.ProcessingResponse{Response: &pb.ProcessingResponse_ResponseTrailers{
			ResponseTrailers: &pb.TrailersResponse{}}}
	}
	return nil
}

func (noop) Process(stream pb.ExternalProcessor_ProcessServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp := answer(req)
		if resp == nil {
			return fmt.Errorf("unknown ext_proc message")
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:50051", "host:port to listen on")
	flag.Parse()
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen %s: %v", *listen, err)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(64<<20), grpc.MaxSendMsgSize(64<<20))
	pb.RegisterExternalProcessorServer(server, noop{})
	fmt.Fprintf(os.Stderr, "go no-op ext_proc serving on %s\n", lis.Addr())
	if err := server.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
